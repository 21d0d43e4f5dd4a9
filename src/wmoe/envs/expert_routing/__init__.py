"""Sequential expert routing over fading links and device queues as ``wmoe/ExpertRouting-v0``."""
