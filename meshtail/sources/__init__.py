"""Sources: where lines come from (files, stdin; Kubernetes later).  They know nothing of formats."""
