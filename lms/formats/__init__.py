"""The site's own date formats, one per language: what every page, PDF and admin view prints."""
