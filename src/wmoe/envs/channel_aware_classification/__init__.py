"""Channel-aware expert selection as ``wmoe/ChannelAwareClassification-v0``."""
