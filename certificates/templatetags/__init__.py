"""Template tags of the badge pages."""
