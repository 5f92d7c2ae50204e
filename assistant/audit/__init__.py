"""The household's own record of every turn: masked, local, owner-only, with retention."""
