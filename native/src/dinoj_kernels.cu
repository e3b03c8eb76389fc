// The one translation unit nvcc compiles into dinoj_kernels.fatbin: every kernel family, each in its
// own file with its algorithm, launch shape and limits described at its top.
#include "elementwise.cu"
#include "reduce.cu"
#include "softmax.cu"
#include "layernorm.cu"
#include "attention.cu"
#include "dino_loss.cu"
#include "multi_tensor.cu"
#include "random.cu"
#include "resize.cu"
#include "index.cu"
