/** Reverse-mode automatic differentiation over tensor-core ops. Not implemented yet (see the project's issues). */
package dev.dinoj.autograd;
