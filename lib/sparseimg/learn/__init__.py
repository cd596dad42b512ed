"""Learning with autograd: conv layers, training loop and weights, unfolded networks
(LISTA family), the learned lifting denoiser, coupled ISTA."""
