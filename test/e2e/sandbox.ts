// placeholder until the sandbox lands in this change
