// Replaced by the results panel (in progress).
