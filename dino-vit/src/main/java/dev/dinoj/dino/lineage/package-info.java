/**
 * The objectives of the self-supervised methods DINO grew from (issue 16): SimCLR's NT-Xent, MoCo's
 * InfoNCE (v2's queue, v3's in-batch keys), BYOL's and SimSiam's prediction losses, Barlow Twins'
 * cross-correlation and SwAV's swapped prediction, each checked against a direct double-precision
 * implementation of its paper's formula. The trainer's method objects that use them come next.
 */
package dev.dinoj.dino.lineage;
