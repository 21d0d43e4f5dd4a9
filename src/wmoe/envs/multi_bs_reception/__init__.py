"""Multi-BS coordinated reception: the survey's case study as ``wmoe/MultiBSReception-v0``."""
