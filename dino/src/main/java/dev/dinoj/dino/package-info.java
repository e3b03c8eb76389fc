/** DINO self-supervised ViT training. Not implemented yet (see the project's issues). */
package dev.dinoj.dino;
