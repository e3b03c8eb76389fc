package dev.dinoj.cuda;

import static dev.dinoj.cuda.KernelSignature.Param.*;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Every kernel of native/src with its parameter types, by file; launches name these constants, so a
 * kernel is found by grep from its .cu declaration to each call site. {@code KernelSignaturesTest}
 * parses the .cu files and fails when a declaration and its entry here differ.
 */
final class KernelCatalog {
    private KernelCatalog() {}

    // attention.cu
    static final KernelSignature ATTN_FWD_D32 = new KernelSignature("attn_fwd_d32", PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_BWD_DKDV_D32 = new KernelSignature("attn_bwd_dkdv_d32",
            PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_BWD_DQ_D32 = new KernelSignature("attn_bwd_dq_d32", PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_FWD_D64 = new KernelSignature("attn_fwd_d64", PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_BWD_DKDV_D64 = new KernelSignature("attn_bwd_dkdv_d64",
            PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_BWD_DQ_D64 = new KernelSignature("attn_bwd_dq_d64", PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_FWD_D128 = new KernelSignature("attn_fwd_d128", PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_BWD_DKDV_D128 = new KernelSignature("attn_bwd_dkdv_d128",
            PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_BWD_DQ_D128 = new KernelSignature("attn_bwd_dq_d128", PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature ATTN_BWD_DELTA = new KernelSignature("attn_bwd_delta", PTR, PTR, PTR, I64, I32);
    static final KernelSignature ATTN_PROBS = new KernelSignature("attn_probs", PTR, PTR, PTR, PTR, I32, I32, F32);
    // dino_loss.cu
    static final KernelSignature DINO_TEACHER_PROBS = new KernelSignature("dino_teacher_probs", PTR, PTR, PTR, I32, F32);
    static final KernelSignature DINO_CE = new KernelSignature("dino_ce", PTR, PTR, PTR, PTR, I32, I32, F32, F32);
    static final KernelSignature DINO_SUM = new KernelSignature("dino_sum", PTR, I32, PTR);
    static final KernelSignature DINO_CENTER = new KernelSignature("dino_center", PTR, PTR, I32, I32, F32);
    // elementwise.cu
    static final KernelSignature EW_FILL_F32 = new KernelSignature("ew_fill_f32", PTR, STRIDES8, SHAPE8, I64, F32);
    static final KernelSignature EW_FILL_I32 = new KernelSignature("ew_fill_i32", PTR, STRIDES8, SHAPE8, I64, I32);
    static final KernelSignature EW_COPY = new KernelSignature("ew_copy", PTR, I32, STRIDES8, PTR, I32, STRIDES8, SHAPE8, I64);
    static final KernelSignature EW_UNARY = new KernelSignature("ew_unary", I32, F32, F32, PTR, STRIDES8, PTR, STRIDES8, SHAPE8, I64);
    static final KernelSignature EW_BINARY = new KernelSignature("ew_binary",
            I32, PTR, STRIDES8, PTR, STRIDES8, PTR, STRIDES8, SHAPE8, I64);
    static final KernelSignature EW_LINEAR_COMBINATION = new KernelSignature("ew_linear_combination",
            F32, PTR, STRIDES8, F32, PTR, STRIDES8, PTR, STRIDES8, SHAPE8, I64);
    static final KernelSignature EW_WHERE = new KernelSignature("ew_where",
            PTR, STRIDES8, PTR, STRIDES8, PTR, STRIDES8, PTR, STRIDES8, SHAPE8, I64);
    // index.cu
    static final KernelSignature INDEX_SELECT = new KernelSignature("index_select",
            PTR, STRIDES8, I32, I32, PTR, PTR, STRIDES8, SHAPE8, I64);
    static final KernelSignature GATHER_SCATTER = new KernelSignature("gather_scatter",
            PTR, PTR, STRIDES8, PTR, STRIDES8, I32, SHAPE8, I64, I32);
    // layernorm.cu
    static final KernelSignature LAYERNORM_FWD = new KernelSignature("layernorm_fwd", PTR, PTR, PTR, PTR, PTR, PTR, I32, F32);
    static final KernelSignature LAYERNORM_BWD_DX = new KernelSignature("layernorm_bwd_dx", PTR, PTR, PTR, PTR, PTR, PTR, I32);
    static final KernelSignature LAYERNORM_BWD_DWDB = new KernelSignature("layernorm_bwd_dwdb", PTR, PTR, PTR, PTR, PTR, PTR, I64, I32);
    // multi_tensor.cu
    static final KernelSignature MT_EMA = new KernelSignature("mt_ema", PTR, PTR, PTR, PTR, PTR, F32);
    static final KernelSignature MT_ADAMW = new KernelSignature("mt_adamw",
            PTR, PTR, PTR, PTR, PTR, PTR, PTR, F32, F32, F32, F32, F32, F32, F32);
    static final KernelSignature MT_SUMSQ = new KernelSignature("mt_sumsq", PTR, PTR, PTR, PTR, PTR);
    static final KernelSignature MT_NORMS = new KernelSignature("mt_norms", PTR, PTR, I32, PTR);
    static final KernelSignature MT_CLIP = new KernelSignature("mt_clip", PTR, PTR, PTR, PTR, PTR, F32);
    static final KernelSignature MT_SCALE = new KernelSignature("mt_scale", PTR, PTR, PTR, PTR, PTR);
    static final KernelSignature ADAMW_SINGLE = new KernelSignature("adamw_single",
            PTR, PTR, PTR, PTR, I64, F32, F32, F32, F32, F32, F32, F32);
    // random.cu
    static final KernelSignature RANDOM_PHILOX = new KernelSignature("random_philox", I32, I64, I64, F32, F32, PTR, I64);
    // reduce.cu
    static final KernelSignature REDUCE_F32 = new KernelSignature("reduce_f32",
            I32, PTR, SHAPE8, STRIDES8, SHAPE8, STRIDES8, I64, I32, PTR, STRIDES8);
    // resize.cu
    static final KernelSignature RESIZE_BICUBIC = new KernelSignature("resize_bicubic", PTR, PTR, I64, I32, I32, I32, I32, I32, F64, F64);
    // softmax.cu
    static final KernelSignature SOFTMAX_FWD = new KernelSignature("softmax_fwd", PTR, PTR, I32, F32, I32);
    static final KernelSignature SOFTMAX_BWD = new KernelSignature("softmax_bwd", PTR, PTR, PTR, I32, F32, I32);

    /** The fused attention forward for head dim d (32, 64 or 128). */
    static KernelSignature attnFwd(int d) {
        return byHeadDim(d, ATTN_FWD_D32, ATTN_FWD_D64, ATTN_FWD_D128);
    }

    static KernelSignature attnBwdDkdv(int d) {
        return byHeadDim(d, ATTN_BWD_DKDV_D32, ATTN_BWD_DKDV_D64, ATTN_BWD_DKDV_D128);
    }

    static KernelSignature attnBwdDq(int d) {
        return byHeadDim(d, ATTN_BWD_DQ_D32, ATTN_BWD_DQ_D64, ATTN_BWD_DQ_D128);
    }

    private static KernelSignature byHeadDim(int d, KernelSignature d32, KernelSignature d64, KernelSignature d128) {
        switch (d) {
            case 32: return d32;
            case 64: return d64;
            case 128: return d128;
            default: throw new IllegalArgumentException("attention kernels exist for head dims 32, 64 and 128, not " + d);
        }
    }

    /** Every entry, in declaration order. */
    static List<KernelSignature> all() {
        List<KernelSignature> all = new ArrayList<>();
        for (Field f : KernelCatalog.class.getDeclaredFields()) {
            if (f.getType() == KernelSignature.class && Modifier.isStatic(f.getModifiers())) {
                try {
                    all.add((KernelSignature) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return all;
    }
}
