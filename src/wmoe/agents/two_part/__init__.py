"""The survey's two-part agent for multi-BS reception (``wmoe train --algo two_part``)."""

from wmoe.agents.two_part.buffers import TwoPartReplayBuffer, TwoPartReplayBufferSamples
from wmoe.agents.two_part.policies import TwoPartPolicy
from wmoe.agents.two_part.two_part import TwoPart

__all__ = ["TwoPart", "TwoPartPolicy", "TwoPartReplayBuffer", "TwoPartReplayBufferSamples"]
