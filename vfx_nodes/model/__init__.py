"""The style model: generators, PatchGAN discriminator, VGG19 loss network, losses, look files. Imports torch only."""
