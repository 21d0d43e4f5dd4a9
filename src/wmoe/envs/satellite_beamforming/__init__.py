"""LEO multibeam downlink with GEO coexistence as ``wmoe/SatelliteBeamforming-v0``."""
