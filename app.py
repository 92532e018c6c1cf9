"""Serve the chatrec page: ``python app.py`` (settings from CHATREC_* / OPENAI_* variables)."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from chatrec.ui import launch

if __name__ == "__main__":
    launch()
