"""The browser page and the JSON API: a thin layer over the Python API (``Recommender`` /
``Session``). ``page`` builds the Gradio Blocks, ``app`` serves it with the JSON routes, ``html``
renders cards and the profile, ``state`` keeps one Recommender per catalog and model."""

from chatrec.ui.app import create_app, launch
from chatrec.ui.page import build

__all__ = ["build", "create_app", "launch"]
