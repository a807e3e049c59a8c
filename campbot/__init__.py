"""campbot: the application around the scheduler (faces, services, store, jobs); docs/architecture.md maps it."""
