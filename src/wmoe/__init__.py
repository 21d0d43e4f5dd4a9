"""wmoe: Gymnasium environments and Mixture-of-Experts agents for wireless networks.

Importing the package registers every environment (``wmoe/<Name>-v<N>``) with Gymnasium.
"""

from __future__ import annotations

from wmoe.envs.registration import register_envs

__version__ = "0.1.0"

register_envs()

__all__ = ["__version__", "register_envs"]
