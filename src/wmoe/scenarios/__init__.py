"""Scenario data: DeepMIMO v4 scenario loading and the synthetic O1-like scenario writer."""
