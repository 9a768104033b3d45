// X — see ARCHITECTURE.md.
