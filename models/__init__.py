"""Pre-trained boilerkit models, installed as ``boilerkit.pretrained``."""
