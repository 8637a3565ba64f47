"""Linear algebra beyond MatMul: batched matrix products (`BatchMatMulV2`, which `tf.matmul`
uses for operands of rank > 2) and `tensordot` built on MatMul and transposes."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math
from ._common import broadcast_shape, normalize_axis, reduce_to_shape, shape_str
from .manip import transpose

_NUM = _dt.NUMERIC
_INDEX = (_dt.int32, _dt.int64)


# BatchMatMulV2 ---------------------------------------------------------------------------
def _batch_matmul_infer(x, y, *, adj_x, adj_y):
    if x.shape.ndims is None or y.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    if x.shape.ndims < 2 or y.shape.ndims < 2:
        raise ValueError(
            f"Shape must be at least rank 2 for 'BatchMatMulV2' with input "
            f"shapes: {shape_str(x.shape)}, {shape_str(y.shape)}."
        )
    xd, yd = x.shape.as_list(), y.shape.as_list()
    m, k1 = (xd[-1], xd[-2]) if adj_x else (xd[-2], xd[-1])
    k2, n = (yd[-1], yd[-2]) if adj_y else (yd[-2], yd[-1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(
            f"Dimensions must be equal, but are {k1} and {k2} for 'BatchMatMulV2' "
            f"with input shapes: {shape_str(x.shape)}, {shape_str(y.shape)}."
        )
    batch = broadcast_shape(TensorShape(xd[:-2]), TensorShape(yd[:-2]), "BatchMatMulV2")
    return TensorSpec(x.dtype, TensorShape(batch.as_list() + [m, n]))


def _batch_matmul_kernel(x, y, *, adj_x, adj_y):
    if adj_x:
        x = np.swapaxes(x, -1, -2)
    if adj_y:
        y = np.swapaxes(y, -1, -2)
    try:
        return np.matmul(x, y)
    except ValueError:
        raise InvalidArgumentError(
            None,
            None,
            f"In[0] and In[1] must have compatible batch dimensions and inner "
            f"dimensions: {list(x.shape)} vs. {list(y.shape)}",
        ) from None


def _batch_matmul_grad(op, grad):
    """As MatMul's gradient on the last two axes, summed over broadcast batch axes."""
    x, y = op.inputs
    ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")
    if not ax and not ay:
        dx, dy = batch_matmul(grad, y, False, True), batch_matmul(x, grad, True, False)
    elif not ax and ay:
        dx, dy = batch_matmul(grad, y), batch_matmul(grad, x, True, False)
    elif ax and not ay:
        dx, dy = batch_matmul(y, grad, False, True), batch_matmul(x, grad)
    else:
        dx, dy = batch_matmul(y, grad, True, True), batch_matmul(grad, x, True, True)
    return [reduce_to_shape(dx, x), reduce_to_shape(dy, y)]


register_op(
    OpDef(
        "BatchMatMulV2",
        inputs=["x: T", "y: T"],
        outputs=["output: T"],
        types={"T": _NUM},
        attrs={"adj_x": False, "adj_y": False},
        infer=_batch_matmul_infer,
        kernel=_batch_matmul_kernel,
        grad=_batch_matmul_grad,
    )
)


def batch_matmul(x, y, adj_x=False, adj_y=False, name=None) -> Tensor:
    return apply_op(
        "BatchMatMulV2", [x, y], {"adj_x": bool(adj_x), "adj_y": bool(adj_y)}, name=name
    ).outputs[0]


def tensordot(a, b, axes, name=None) -> Tensor:
    """Contracts `a` and `b` over `axes` (an int N: last N of a with first N of b; or a
    pair of axis lists). Built from transpose, reshape and MatMul, as TF does."""
    with name_scope(name, "Tensordot"):
        a, b = convert_to_tensor(a), convert_to_tensor(b)
        if not (a.shape.is_fully_defined() and b.shape.is_fully_defined()):
            raise ValueError("tensordot needs the static shapes of both operands")
        ad, bd = a.shape.as_list(), b.shape.as_list()
        if isinstance(axes, int):
            if axes < 0:
                raise ValueError("'axes' must be at least 0.")
            a_axes, b_axes = list(range(len(ad) - axes, len(ad))), list(range(axes))
        else:
            a_axes, b_axes = axes
            a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
            b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
        a_axes = [normalize_axis(i, len(ad), "Tensordot") for i in a_axes]
        b_axes = [normalize_axis(i, len(bd), "Tensordot") for i in b_axes]
        if [ad[i] for i in a_axes] != [bd[i] for i in b_axes]:
            raise ValueError(
                f"Dimensions of contracted axes do not match: {ad} axes {a_axes} "
                f"vs {bd} axes {b_axes}"
            )
        a_free = [i for i in range(len(ad)) if i not in a_axes]
        b_free = [i for i in range(len(bd)) if i not in b_axes]
        k = int(np.prod([ad[i] for i in a_axes]))
        a2 = _array.reshape(transpose_if_needed(a, a_free + a_axes), [-1, k])
        b2 = _array.reshape(transpose_if_needed(b, b_axes + b_free), [k, -1])
        out = _math.matmul(a2, b2)
        return _array.reshape(out, [ad[i] for i in a_free] + [bd[i] for i in b_free])


def transpose_if_needed(x, perm):
    return x if perm == sorted(perm) else transpose(x, perm)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):
    """The vector norm of `tensor` (all of it, or along `axis`), or with a pair of axes the
    matrix norm: `ord` "euclidean"/"fro"/2 (vectors), 1, inf, or any p > 0 for vectors;
    "fro", "euclidean", 1 and inf for matrices (as tf.norm)."""
    keepdims = bool(keepdims if keepdims is not None else keep_dims)
    x = convert_to_tensor(tensor)
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    matrix = isinstance(axis, (list, tuple))
    if matrix and len(axis) != 2:
        raise ValueError(f"'axis' must be None, an integer, or a pair of integers, got {axis}")
    ords = ("euclidean", "fro", 1, np.inf) if matrix else ("euclidean", "fro", 1, 2, np.inf)
    if ord not in ords and (matrix or not (isinstance(ord, (int, float)) and ord > 0)):
        raise ValueError(f"'ord' must be a supported {'matrix' if matrix else 'vector'} norm, "
                         f"got {ord}")  # fmt: skip
    with name_scope(name, "norm"):
        a = _math.abs(x)
        if matrix and ord in (1, np.inf):
            inner, outer = (axis[0], axis[1]) if ord == 1 else (axis[1], axis[0])
            summed = _math.reduce_sum(a, axis=inner, keepdims=True)
            out = _math.reduce_max(summed, axis=outer, keepdims=True)
            return out if keepdims else _array.squeeze(out, list(axis))
        if ord in ("euclidean", "fro", 2):
            return _math.sqrt(_math.reduce_sum(_math.square(x), axis=axis, keepdims=keepdims))
        if ord == 1:
            return _math.reduce_sum(a, axis=axis, keepdims=keepdims)
        if ord == np.inf:
            return _math.reduce_max(a, axis=axis, keepdims=keepdims)
        p = float(ord)
        powered = _math.pow(a, _array.fill(_array.shape(a), np.asarray(p, x.dtype.np)))
        total = _math.reduce_sum(powered, axis=axis, keepdims=keepdims)
        return _math.pow(total, _array.fill(_array.shape(total), np.asarray(1.0 / p, x.dtype.np)))


# MatrixInverse, MatrixDeterminant, MatrixSolve, MatrixDiagPart, MatrixDiag (numpy's LAPACK) --
def _square_infer(op_type):
    def infer(x, *, adjoint=False):
        if x.shape.ndims is not None and x.shape.ndims < 2:
            raise ValueError(f"Shape must be at least rank 2 for '{op_type}', got {x.shape}")
        return TensorSpec(x.dtype, x.shape)

    return infer


def _singular(op_type):
    return InvalidArgumentError(None, None, f"{op_type}: Input is not invertible.")


def _inverse_kernel(x, *, adjoint=False):
    x = np.swapaxes(np.conj(x), -1, -2) if adjoint else x
    try:
        return np.linalg.inv(x).astype(x.dtype, copy=False)
    except np.linalg.LinAlgError:
        raise _singular("MatrixInverse") from None


def _adj(x):
    """The matrix transpose of the last two axes (real dtypes: the adjoint)."""
    n = x.shape.ndims
    return transpose(x, list(range(n - 2)) + [n - 1, n - 2])


def _inverse_grad(op, grad):
    """d_x = -inv(x)^T grad inv(x)^T (adjoint: the same, transposed)."""
    inv = op.outputs[0]
    d = _math.negative(batch_matmul(batch_matmul(inv, grad, adj_x=True), inv, adj_y=True))
    return [_adj(d) if op.get_attr("adjoint") else d]


register_op(
    OpDef(
        "MatrixInverse",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        attrs={"adjoint": False},
        infer=_square_infer("MatrixInverse"),
        kernel=_inverse_kernel,
        grad=_inverse_grad,
    )
)


def matrix_inverse(input, adjoint=False, name=None) -> Tensor:
    return apply_op("MatrixInverse", [input], {"adjoint": bool(adjoint)}, name=name).outputs[0]


def _det_infer(x):
    if x.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    return TensorSpec(x.dtype, TensorShape(x.shape.as_list()[:-2]))


def _det_grad(op, grad):
    """d_x = grad * det(x) * inv(x)^T."""
    x, det = op.inputs[0], op.outputs[0]
    scale = _array.expand_dims(_array.expand_dims(_math.multiply(grad, det), -1), -1)
    return [_math.multiply(scale, _adj(matrix_inverse(x)))]


register_op(
    OpDef(
        "MatrixDeterminant",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        infer=_det_infer,
        kernel=lambda x: np.asarray(np.linalg.det(x), dtype=x.dtype),
        grad=_det_grad,
    )
)


def matrix_determinant(input, name=None) -> Tensor:
    return apply_op("MatrixDeterminant", [input], name=name).outputs[0]


def _solve_infer(matrix, rhs, *, adjoint=False):
    return TensorSpec(rhs.dtype, rhs.shape)


def _solve_kernel(matrix, rhs, *, adjoint=False):
    a = np.swapaxes(matrix, -1, -2) if adjoint else matrix
    try:
        return np.linalg.solve(a, rhs).astype(rhs.dtype, copy=False)
    except np.linalg.LinAlgError:
        raise _singular("MatrixSolve") from None


def _solve_grad(op, grad):
    """d_rhs = solve(A^T, grad); d_A = -d_rhs x^T (transposed when adjoint)."""
    matrix, _ = op.inputs
    x = op.outputs[0]
    adjoint = op.get_attr("adjoint")
    d_rhs = matrix_solve(matrix, grad, adjoint=not adjoint)
    d_a = _math.negative(batch_matmul(d_rhs, x, adj_y=True))
    return [_adj(d_a) if adjoint else d_a, d_rhs]


register_op(
    OpDef(
        "MatrixSolve",
        inputs=["matrix: T", "rhs: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        attrs={"adjoint": False},
        infer=_solve_infer,
        kernel=_solve_kernel,
        grad=_solve_grad,
    )
)


def matrix_solve(matrix, rhs, adjoint=False, name=None) -> Tensor:
    """X with matrix @ X = rhs (matrix^T @ X = rhs when adjoint)."""
    return apply_op("MatrixSolve", [matrix, rhs], {"adjoint": bool(adjoint)}, name=name).outputs[0]


def _diag_part_infer(x):
    if x.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    dims = x.shape.as_list()
    m, n = dims[-2], dims[-1]
    k = None if m is None or n is None else min(m, n)
    return TensorSpec(x.dtype, TensorShape(dims[:-2] + [k]))


def _diag_infer(d):
    if d.shape.ndims is None:
        return TensorSpec(d.dtype, TensorShape(None))
    dims = d.shape.as_list()
    return TensorSpec(d.dtype, TensorShape(dims + [dims[-1]]))


def _diag_kernel(d):
    out = np.zeros(d.shape + (d.shape[-1],), dtype=d.dtype)
    idx = np.arange(d.shape[-1])
    out[..., idx, idx] = d
    return out


register_op(
    OpDef(
        "MatrixDiagPart",
        inputs=["input: T"],
        outputs=["diagonal: T"],
        types={"T": ()},
        infer=_diag_part_infer,
        kernel=lambda x: np.diagonal(x, axis1=-2, axis2=-1).copy(),
        grad=lambda op, grad: [_pad_diag(grad, op.inputs[0])],
    )
)
register_op(
    OpDef(
        "MatrixDiag",
        inputs=["diagonal: T"],
        outputs=["output: T"],
        types={"T": ()},
        infer=_diag_infer,
        kernel=_diag_kernel,
        grad=lambda op, grad: [matrix_diag_part(grad)],
    )
)


def _pad_diag(grad, like):
    """A matrix shaped like `like` with `grad` on its diagonal (zeros elsewhere)."""
    dims = like.shape.as_list() if like.shape.ndims is not None else [None, None]
    m, n = dims[-2], dims[-1]
    if m is None or n is None or m == n:
        return matrix_diag(grad)
    mask = np.eye(m, n, dtype=like.dtype.np)
    axis = -2 if m > n else -1  # grad runs along the shorter side
    return _math.multiply(_array.expand_dims(grad, axis), mask)


def matrix_diag_part(input, name=None) -> Tensor:
    return apply_op("MatrixDiagPart", [input], name=name).outputs[0]


def matrix_diag(diagonal, name=None) -> Tensor:
    return apply_op("MatrixDiag", [diagonal], name=name).outputs[0]


def trace(x, name=None) -> Tensor:
    """The sum of the diagonal of each matrix of `x`."""
    with name_scope(name, "Trace"):
        return _math.reduce_sum(matrix_diag_part(x), axis=-1)


def matrix_transpose(a, name="matrix_transpose", conjugate=False) -> Tensor:
    """Transposes the last two axes."""
    with name_scope(name, "matrix_transpose"):
        return _adj(convert_to_tensor(a))


def logdet(matrix, name=None) -> Tensor:
    """log(det(matrix)) of a positive definite matrix."""
    with name_scope(name, "logdet"):
        return _math.log(matrix_determinant(matrix))


def tensor_diag(diagonal, name=None):
    """`tf.diag` (TF1's Diag): a tensor of rank 2k from one of rank k, `diagonal`'s values
    at [i, ..., i, ...] and zeros elsewhere (for a vector, a diagonal matrix)."""
    with name_scope(name, "Diag"):
        diagonal = convert_to_tensor(diagonal)
        shape = _array.shape(diagonal)
        square = matrix_diag(_array.reshape(diagonal, [-1]))
        return _array.reshape(square, _array.concat([shape, shape], 0))


def tensor_diag_part(input, name=None):  # noqa: A002
    """`tf.diag_part` (TF1's DiagPart): the inverse of `tf.diag`, for a tensor of rank 2k
    whose first k dimensions equal its last k."""
    with name_scope(name, "DiagPart"):
        input = convert_to_tensor(input)
        rank = input.shape.ndims
        if rank is None or rank % 2:
            raise ValueError(f"diag_part needs a tensor of even rank, got rank {rank}")
        dims = input.shape.as_list()
        if None not in dims and dims[: rank // 2] != dims[rank // 2 :]:
            raise ValueError(
                f"diag_part: dimensions {dims[: rank // 2]} and {dims[rank // 2 :]} differ"
            )
        half = _array.shape(input)[: rank // 2]
        count = _math.reduce_prod(half)
        square = _array.reshape(input, _array.stack([count, count]))
        return _array.reshape(matrix_diag_part(square), half)


# Cholesky, MatrixTriangularSolve (TF's gradients) and what builds on them ---------------------
def _cholesky_kernel(input):
    try:
        return np.linalg.cholesky(input).astype(input.dtype, copy=False)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(
            None, None, "Cholesky decomposition was not successful. The input might not be "
            "valid."
        ) from None  # fmt: skip


def _lower(x):
    from .array_more import matrix_band_part

    return matrix_band_part(x, -1, 0)


def _cholesky_grad(op, grad):
    """TF's: with L the factor, phi(L^T grad) its lower triangle with a halved diagonal,
    d_A = sym(L^-T phi L^-1)."""
    chol = op.outputs[0]
    identity = _identity_like(chol)
    chol_inv = matrix_triangular_solve(chol, identity, lower=True)
    middle = batch_matmul(chol, grad, adj_x=True)
    middle = _lower(middle) - 0.5 * matrix_diag(matrix_diag_part(middle))
    grad_a = batch_matmul(batch_matmul(chol_inv, middle, adj_x=True), chol_inv)
    return [0.5 * (grad_a + _adj(grad_a))]


register_op(
    OpDef(
        "Cholesky",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        infer=_square_infer("Cholesky"),
        kernel=_cholesky_kernel,
        grad=_cholesky_grad,
    )
)


def cholesky(input, name=None) -> Tensor:  # noqa: A002
    """The lower-triangular L with L L^T = input (a positive definite matrix, or a batch)."""
    return apply_op("Cholesky", [convert_to_tensor(input)], name=name or "Cholesky").outputs[0]


def _tri_solve_kernel(matrix, rhs, *, lower, adjoint):
    a = np.tril(matrix) if lower else np.triu(matrix)
    if adjoint:
        a = np.swapaxes(a, -1, -2)
    try:
        return np.linalg.solve(a, rhs).astype(rhs.dtype, copy=False)
    except np.linalg.LinAlgError:
        raise _singular("MatrixTriangularSolve") from None


def _tri_solve_grad(op, grad):
    """TF's: d_rhs = solve(A, grad) with the other adjoint; d_A = -d_rhs X^T (or X d_rhs^T
    when adjoint), cut to A's triangle."""
    matrix = op.inputs[0]
    x = op.outputs[0]
    lower, adjoint = op.get_attr("lower"), op.get_attr("adjoint")
    d_rhs = matrix_triangular_solve(matrix, grad, lower=lower, adjoint=not adjoint)
    if adjoint:
        d_a = _math.negative(batch_matmul(x, d_rhs, adj_y=True))
    else:
        d_a = _math.negative(batch_matmul(d_rhs, x, adj_y=True))
    from .array_more import matrix_band_part

    d_a = matrix_band_part(d_a, -1, 0) if lower else matrix_band_part(d_a, 0, -1)
    return [d_a, d_rhs]


register_op(
    OpDef(
        "MatrixTriangularSolve",
        inputs=["matrix: T", "rhs: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        attrs={"lower": True, "adjoint": False},
        infer=lambda matrix, rhs, **_: TensorSpec(rhs.dtype, rhs.shape),
        kernel=_tri_solve_kernel,
        grad=_tri_solve_grad,
    )
)


def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None) -> Tensor:
    """X with A X = rhs for the lower (or upper) triangle A of `matrix` (A^T X = rhs when
    adjoint); the other triangle of `matrix` is not read."""
    attrs = {"lower": bool(lower), "adjoint": bool(adjoint)}
    return apply_op("MatrixTriangularSolve", [convert_to_tensor(matrix), convert_to_tensor(rhs)],
                    attrs, name=name or "MatrixTriangularSolve").outputs[0]  # fmt: skip


def cholesky_solve(chol, rhs, name=None) -> Tensor:
    """X with A X = rhs, given A's Cholesky factor `chol`."""
    with name_scope(name, "cholesky_solve"):
        y = matrix_triangular_solve(chol, rhs, lower=True, adjoint=False)
        return matrix_triangular_solve(chol, y, lower=True, adjoint=True)


def matrix_solve_ls(matrix, rhs, l2_regularizer=0.0, fast=True, name=None) -> Tensor:
    """The least-squares X of matrix X = rhs (+ l2_regularizer |X|^2), by the normal
    equations and a Cholesky factor (TF's fast path; fast=False takes it too)."""
    with name_scope(name, "matrix_solve_ls"):
        a = convert_to_tensor(matrix)
        b = convert_to_tensor(rhs, dtype=a.dtype)
        m, n = a.shape.as_list()[-2:]
        if m is not None and n is not None and m < n:  # underdetermined: the minimum norm
            gram = batch_matmul(a, a, adj_y=True)
            gram = gram + l2_regularizer * _identity_like(gram)
            return batch_matmul(a, cholesky_solve(cholesky(gram), b), adj_x=True)
        gram = batch_matmul(a, a, adj_x=True)
        gram = gram + l2_regularizer * _identity_like(gram)
        return cholesky_solve(cholesky(gram), batch_matmul(a, b, adj_x=True))


def _identity_like(square):
    return matrix_diag(_array.ones_like(matrix_diag_part(square)))


def matrix_set_diag(input, diagonal, name=None, k=0, align="RIGHT_LEFT") -> Tensor:  # noqa: A002
    """`input` with its main diagonal replaced by `diagonal`."""
    if k != 0:
        raise NotImplementedError("matrix_set_diag with k != 0")
    with name_scope(name, "set_diag"):
        input = convert_to_tensor(input)
        diagonal = convert_to_tensor(diagonal, dtype=input.dtype)
        return input - matrix_diag(matrix_diag_part(input)) + matrix_diag(diagonal)


def _slogdet_kernel(x):
    sign, logdet = np.linalg.slogdet(x)
    return sign.astype(x.dtype), logdet.astype(x.dtype)


register_op(
    OpDef(
        "LogMatrixDeterminant",
        inputs=["input: T"],
        outputs=["sign: T", "log_abs_determinant: T"],
        types={"T": _dt.FLOATS},
        infer=lambda x: [_det_infer(x), _det_infer(x)],
        kernel=_slogdet_kernel,
        grad=lambda op, grad_sign, grad_logdet: [
            _math.multiply(
                _array.expand_dims(_array.expand_dims(grad_logdet, -1), -1),
                _adj(matrix_inverse(op.inputs[0])),
            )
        ],  # fmt: skip
    )
)


def slogdet(input, name=None):  # noqa: A002
    """(sign, log |det|) of a square matrix (or a batch): stable where det over- or
    underflows."""
    op = apply_op("LogMatrixDeterminant", [convert_to_tensor(input)], name=name or "slogdet")
    return op.outputs[0], op.outputs[1]


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002
    """(tensor / norm, norm) with the norm over `axis` kept for broadcasting."""
    with name_scope(name, "normalize"):
        tensor = convert_to_tensor(tensor)
        n = norm(tensor, ord=ord, axis=axis, keepdims=True)
        return tensor / n, n
