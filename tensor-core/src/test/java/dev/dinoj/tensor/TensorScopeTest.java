package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorScopeTest {
    @Test
    void closesEveryTensorCreatedInsideAndNothingFromOutside() {
        Tensor outside = Tensor.ones(2, 3);
        Tensor sum, view, viewOfOutside;
        try (TensorScope scope = TensorScope.open()) {
            sum = outside.add(outside);
            view = sum.reshape(3, 2).t();
            viewOfOutside = outside.t();
            assertThat(scope.openTensors()).isEqualTo(4); // sum, its reshape, the transpose of that, outside.t()
        }
        assertThat(sum.isClosed()).isTrue();
        assertThat(view.isClosed()).isTrue();
        assertThat(viewOfOutside.isClosed()).isTrue();
        assertThat(outside.isClosed()).isFalse();
        assertThat(outside.sum().item()).isEqualTo(6f); // its storage kept its own reference
        assertThatThrownBy(sum::sum).isInstanceOf(IllegalStateException.class).hasMessageContaining("used after close");
        assertThat(TensorScope.current()).isNull();
    }

    @Test
    void keepHandsATensorToTheEnclosingScopeAndEscapeToNone() {
        Tensor kept, escaped, inner;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope scope = TensorScope.open()) {
                kept = scope.keep(Tensor.full(Shape.of(2), 3f, Device.CPU));
                escaped = TensorScope.escape(Tensor.zeros(4));
                inner = Tensor.ones(1);
                assertThat(scope.openTensors()).isEqualTo(1);
            }
            assertThat(inner.isClosed()).isTrue();
            assertThat(kept.isClosed()).isFalse();
            assertThat(kept.sum().item()).isEqualTo(6f);
            assertThat(TensorScope.current()).isSameAs(outer);
        }
        assertThat(kept.isClosed()).isTrue();
        assertThat(escaped.isClosed()).isFalse();
        assertThat(escaped.sum().item()).isZero();
    }

    @Test
    void scopesCloseInReverseOrderOnTheirOwnThread() throws Exception {
        TensorScope outer = TensorScope.open();
        TensorScope inner = TensorScope.open();
        assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("reverse order");
        Throwable fromOtherThread = CompletableFuture.supplyAsync(() -> {
            try {
                inner.close();
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        }).get();
        assertThat(fromOtherThread).hasMessageContaining("thread that opened it");
        inner.close();
        outer.close();
        assertThat(TensorScope.current()).isNull();
    }

    @Test
    void keepRejectsATensorOfAnotherScope() {
        Tensor t = Tensor.ones(2);
        try (TensorScope scope = TensorScope.open()) {
            assertThatThrownBy(() -> scope.keep(t)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not belong");
        }
    }

    @Test
    void tensorsCreatedOnOtherThreadsAreNotTracked() throws Exception {
        try (TensorScope scope = TensorScope.open()) {
            Tensor fromWorker = CompletableFuture.supplyAsync(() -> Tensor.ones(3)).get();
            assertThat(scope.openTensors()).isZero();
            scope.close();
            assertThat(fromWorker.isClosed()).isFalse();
        }
    }
}
