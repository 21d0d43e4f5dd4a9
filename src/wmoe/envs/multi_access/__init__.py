"""Medium access beside legacy TDMA, ALOHA, WiFi, NR-U and IoT nodes as ``wmoe/MultiAccess-v0``."""
