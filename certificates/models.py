"""Badge designs and issued badges (see issuance.py for how they are written)."""
