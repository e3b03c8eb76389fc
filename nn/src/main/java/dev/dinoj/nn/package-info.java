/** Modules, layers, optimizers, schedules and checkpoints. Not implemented yet (see the project's issues). */
package dev.dinoj.nn;
