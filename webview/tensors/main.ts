// Replaced by the tensor grid (in progress).
