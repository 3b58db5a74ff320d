"""The agents' workspace at /desk/: queues, the case page, claims and reports (server-rendered, htmx)."""
