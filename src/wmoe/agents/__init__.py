"""Reinforcement-learning agents and their glue to the wmoe environments."""
