"""Staff: the Wagtail admin's badge screens (lists, inspection, lifecycle actions, jobs).

`views` are the admin views and `forms` their forms; the menu and URL registration stay in
the app's `wagtail_hooks.py`, where Wagtail discovers them.
"""
