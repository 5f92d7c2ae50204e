"""First-party Hearth skills."""
