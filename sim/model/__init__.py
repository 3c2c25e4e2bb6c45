"""Model pieces both engines share: distributions, weather, departure hours, boarding rules
and the standard variates of the randomness contract.

Anything both engines must compute the same way lives here, so the engines cannot drift
apart on it.
"""
