"""Decompositions and matrix functions on numpy's LAPACK and scipy.linalg, with TF's
gradients: SelfAdjointEigV2 (`eigh`, `eigvalsh`), Qr, Svd, MatrixExponential (`expm`),
MatrixSquareRoot (`sqrtm`); and the composites matrix_rank, pinv, tridiagonal_matmul and
tridiagonal_solve. Real dtypes; batches of matrices in the leading axes."""

from __future__ import annotations

import functools

import numpy as np

from .. import dtypes as _dt
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, manip as _manip, math as _math
from .array_more import matrix_band_part
from .linalg import (
    _adj,
    _identity_like,
    batch_matmul,
    matrix_diag,
    matrix_diag_part,
    matrix_set_diag,
    matrix_solve,
    matrix_triangular_solve,
)

_FLOAT = (_dt.float32, _dt.float64)


@functools.cache
def _scipy_linalg():
    """scipy.linalg, imported on first use (importing psflow stays fast)."""
    from scipy import linalg

    return linalg


def _matrices(op_type, x):
    if x.shape.ndims is not None and x.shape.ndims < 2:
        raise ValueError(f"Shape must be at least rank 2 for '{op_type}', got {x.shape}")
    return x.shape.as_list() if x.shape.ndims is not None else None


def _square(op_type, x):
    dims = _matrices(op_type, x)
    if dims is not None and None not in dims[-2:] and dims[-1] != dims[-2]:
        raise ValueError(f"Dimensions must be equal for '{op_type}': {dims[-2]} vs {dims[-1]}")
    return dims


# SelfAdjointEigV2 ------------------------------------------------------------------------------
def _eig_infer(input, *, compute_v):
    dims = _square("SelfAdjointEigV2", input)
    values = TensorShape(None if dims is None else dims[:-1])
    vectors = TensorShape(dims if compute_v else [0])
    return [TensorSpec(input.dtype, values), TensorSpec(input.dtype, vectors)]


def _eig_kernel(input, *, compute_v):
    e, v = np.linalg.eigh(input)  # the lower triangle, as TF reads it
    return e.astype(input.dtype), (v.astype(input.dtype) if compute_v else np.zeros(0, input.dtype))


def _eig_grad(op, grad_e, grad_v):
    """TF's: d_A = V (diag(grad_e) + F o (V^T grad_v)) V^T, F_ij = 1 / (e_j - e_i) off the
    diagonal; symmetrized into the lower triangle (the only part the op reads)."""
    e = op.outputs[0]
    if op.get_attr("compute_v"):
        v = op.outputs[1]
    else:
        v = _array.stop_gradient(self_adjoint_eig(op.inputs[0])[1])
    if grad_e is None:
        grad_e = _array.zeros_like(e)
    inner = matrix_diag(grad_e)
    if grad_v is not None and op.get_attr("compute_v"):
        gap = _math.subtract(_array.expand_dims(e, -2), _array.expand_dims(e, -1))
        ones = _array.ones_like(e)
        safe = matrix_set_diag(gap, ones)  # no division by the zero diagonal
        f = matrix_set_diag(_math.reciprocal(safe), _array.zeros_like(e))
        inner = _math.add(inner, _math.multiply(f, batch_matmul(v, grad_v, adj_x=True)))
    grad_a = batch_matmul(v, batch_matmul(inner, v, adj_y=True))
    grad_a = matrix_band_part(_math.add(grad_a, _adj(grad_a)), -1, 0)
    return [matrix_set_diag(grad_a, _math.multiply(matrix_diag_part(grad_a), 0.5))]


register_op(
    OpDef(
        "SelfAdjointEigV2",
        inputs=["input: T"],
        outputs=["e: T", "v: T"],
        types={"T": _FLOAT},
        attrs={"compute_v": True},
        infer=_eig_infer,
        kernel=_eig_kernel,
        grad=_eig_grad,
    )
)


def self_adjoint_eig(tensor, name=None):
    """(e, v): the eigenvalues (ascending) and eigenvectors (columns) of symmetric
    matrices, from their lower triangles."""
    e, v = apply_op(
        "SelfAdjointEigV2",
        [convert_to_tensor(tensor)],
        {"compute_v": True},
        name=name or "self_adjoint_eig",
    ).outputs
    return e, v


def self_adjoint_eigvals(tensor, name=None) -> Tensor:
    """The eigenvalues (ascending) of symmetric matrices, from their lower triangles."""
    return apply_op(
        "SelfAdjointEigV2",
        [convert_to_tensor(tensor)],
        {"compute_v": False},
        name=name or "self_adjoint_eigvals",
    ).outputs[0]


# Qr ------------------------------------------------------------------------------------------
def _qr_infer(input, *, full_matrices):
    dims = _matrices("Qr", input)
    if dims is None:
        return [TensorSpec(input.dtype, TensorShape(None))] * 2
    *batch, m, n = dims
    k = None if m is None or n is None else min(m, n)
    q_cols, r_rows = (m, m) if full_matrices else (k, k)
    return [
        TensorSpec(input.dtype, TensorShape([*batch, m, q_cols])),
        TensorSpec(input.dtype, TensorShape([*batch, r_rows, n])),
    ]


def _qr_kernel(input, *, full_matrices):
    q, r = np.linalg.qr(input, mode="complete" if full_matrices else "reduced")
    return q.astype(input.dtype), r.astype(input.dtype)


def _right_solve_upper(x, r):
    """x r^-1 for upper-triangular r (TF's _TriangularSolve)."""
    return _adj(matrix_triangular_solve(r, _adj(x), lower=False, adjoint=False))


def _qr_grad(op, dq, dr):
    """TF's gradient, for matrices with at least as many rows as columns (the reduced
    factorization, or the full one of a square matrix)."""
    a, q, r = op.inputs[0], op.outputs[0], op.outputs[1]
    m, n = a.shape.as_list()[-2:]
    if m is None or n is None or m < n or (op.get_attr("full_matrices") and m != n):
        raise NotImplementedError(
            "QrGrad not implemented when ncols > nrows or full_matrices is true and "
            f"ncols != nrows, got shape {a.shape}"
        )
    dq = _array.zeros_like(q) if dq is None else dq
    dr = _array.zeros_like(r) if dr is None else dr
    qdq = batch_matmul(q, dq, adj_x=True)
    qdq_ = _math.subtract(qdq, _adj(qdq))
    rdr = batch_matmul(r, dr, adj_y=True)
    rdr_ = _math.subtract(rdr, _adj(rdr))
    tril = matrix_band_part(_math.add(qdq_, rdr_), -1, 0)
    grad_a = batch_matmul(q, _math.add(dr, _right_solve_upper(tril, r)))
    grad_b = _right_solve_upper(_math.subtract(dq, batch_matmul(q, qdq)), r)
    return [_math.add(grad_a, grad_b)]


register_op(
    OpDef(
        "Qr",
        inputs=["input: T"],
        outputs=["q: T", "r: T"],
        types={"T": _FLOAT},
        attrs={"full_matrices": False},
        infer=_qr_infer,
        kernel=_qr_kernel,
        grad=_qr_grad,
    )
)


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """(q, r): orthonormal columns q and upper-triangular r with q r = input."""
    q, r = apply_op(
        "Qr", [convert_to_tensor(input)], {"full_matrices": bool(full_matrices)}, name=name or "Qr"
    ).outputs
    return q, r


# Svd -----------------------------------------------------------------------------------------
def _svd_infer(input, *, compute_uv, full_matrices):
    dims = _matrices("Svd", input)
    if dims is None:
        return [TensorSpec(input.dtype, TensorShape(None))] * 3
    *batch, m, n = dims
    k = None if m is None or n is None else min(m, n)
    s = TensorSpec(input.dtype, TensorShape([*batch, k]))
    if not compute_uv:
        return [
            s,
            TensorSpec(input.dtype, TensorShape([0])),
            TensorSpec(input.dtype, TensorShape([0])),
        ]
    u_cols, v_cols = (m, n) if full_matrices else (k, k)
    return [
        s,
        TensorSpec(input.dtype, TensorShape([*batch, m, u_cols])),
        TensorSpec(input.dtype, TensorShape([*batch, n, v_cols])),
    ]


def _svd_kernel(input, *, compute_uv, full_matrices):
    if not compute_uv:
        s = np.linalg.svd(input, compute_uv=False)
        empty = np.zeros(0, input.dtype)
        return s.astype(input.dtype), empty, empty
    u, s, vt = np.linalg.svd(input, full_matrices=full_matrices)
    return s.astype(input.dtype), u.astype(input.dtype), np.swapaxes(vt, -1, -2).astype(input.dtype)


def _svd_grad(op, grad_s, grad_u, grad_v):
    """d_A for A = U diag(s) V^T (real; the reduced factorization, or the full one of a
    square matrix): U [diag(ds) + (F o (U^T dU - dU^T U)) S + S (F o (V^T dV - dV^T V))] V^T
    + (I - U U^T) dU S^-1 V^T + U S^-1 dV^T (I - V V^T), F_ij = 1 / (s_j^2 - s_i^2)."""
    a = op.inputs[0]
    s = op.outputs[0]
    m, n = a.shape.as_list()[-2:]
    grad_s = _array.zeros_like(s) if grad_s is None else grad_s
    if not op.get_attr("compute_uv"):
        _, u, v = svd(_array.stop_gradient(a), full_matrices=False)
        return [batch_matmul(batch_matmul(u, matrix_diag(grad_s)), v, adj_y=True)]
    if op.get_attr("full_matrices") and m != n:
        raise NotImplementedError(
            "SVD gradient has not been implemented for input with unequal number of rows "
            "and columns when full_matrices=True"
        )
    u, v = op.outputs[1], op.outputs[2]
    grad_u = _array.zeros_like(u) if grad_u is None else grad_u
    grad_v = _array.zeros_like(v) if grad_v is None else grad_v
    s2 = _math.square(s)
    gap = _math.subtract(_array.expand_dims(s2, -2), _array.expand_dims(s2, -1))
    f = matrix_set_diag(
        _math.reciprocal(matrix_set_diag(gap, _array.ones_like(s))), _array.zeros_like(s)
    )
    s_mat = matrix_diag(s)
    utdu = batch_matmul(u, grad_u, adj_x=True)
    vtdv = batch_matmul(v, grad_v, adj_x=True)
    j = _math.multiply(f, _math.subtract(utdu, _adj(utdu)))
    k = _math.multiply(f, _math.subtract(vtdv, _adj(vtdv)))
    core = _math.add(matrix_diag(grad_s), _math.add(batch_matmul(j, s_mat), batch_matmul(s_mat, k)))
    grad_a = batch_matmul(batch_matmul(u, core), v, adj_y=True)
    s_inv = matrix_diag(_math.reciprocal(s))
    if m is None or m > n:  # U is not square: its complement's part
        uut = batch_matmul(u, u, adj_y=True)
        proj_u = _math.subtract(_identity_like(uut), uut)
        extra = batch_matmul(batch_matmul(proj_u, grad_u), batch_matmul(s_inv, v, adj_y=True))
        grad_a = _math.add(grad_a, extra)
    if n is None or n > m:  # V is not square
        vvt = batch_matmul(v, v, adj_y=True)
        proj_v = _math.subtract(_identity_like(vvt), vvt)
        extra = batch_matmul(batch_matmul(u, s_inv), batch_matmul(grad_v, proj_v, adj_x=True))
        grad_a = _math.add(grad_a, extra)
    return [grad_a]


register_op(
    OpDef(
        "Svd",
        inputs=["input: T"],
        outputs=["s: T", "u: T", "v: T"],
        types={"T": _FLOAT},
        attrs={"compute_uv": True, "full_matrices": False},
        infer=_svd_infer,
        kernel=_svd_kernel,
        grad=_svd_grad,
    )
)


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """The singular values s (descending) of matrices, and with compute_uv the (s, u, v)
    with tensor = u diag(s) v^T."""
    attrs = {"compute_uv": bool(compute_uv), "full_matrices": bool(full_matrices)}
    s, u, v = apply_op("Svd", [convert_to_tensor(tensor)], attrs, name=name or "Svd").outputs
    return (s, u, v) if compute_uv else s


def matrix_rank(a, tol=None, validate_args=False, name=None) -> Tensor:
    """The number of singular values above `tol` (default: the largest singular value
    times the larger dimension times the dtype's resolution)."""
    with name_scope(name, "matrix_rank"):
        a = convert_to_tensor(a)
        s = svd(a, compute_uv=False)
        if tol is None:
            m, n = a.shape.as_list()[-2:]
            eps = float(np.finfo(a.dtype.np).eps)
            tol = _math.multiply(_math.reduce_max(s, axis=-1, keepdims=True), max(m, n) * eps)
        return _math.reduce_sum(_math.cast(_math.greater(s, tol), _dt.int32), axis=-1)


def pinv(a, rcond=None, validate_args=False, name=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse, by the SVD: singular values at most rcond times
    the largest (default 10 * max(m, n) * the dtype's resolution) count as zero."""
    with name_scope(name, "pinv"):
        a = convert_to_tensor(a)
        m, n = a.shape.as_list()[-2:]
        if rcond is None:
            rcond = 10.0 * max(m, n) * float(np.finfo(a.dtype.np).eps)
        s, u, v = svd(a, full_matrices=False)
        cutoff = _math.multiply(_math.reduce_max(s, axis=-1, keepdims=True), rcond)
        kept = _math.greater(s, cutoff)
        safe = _math.where(kept, s, _array.ones_like(s))
        s_inv = _math.where(kept, _math.reciprocal(safe), _array.zeros_like(s))
        return batch_matmul(_math.multiply(v, _array.expand_dims(s_inv, -2)), u, adj_y=True)


# MatrixExponential, MatrixSquareRoot -----------------------------------------------------------
def _each_matrix(fn):
    def kernel(input):
        flat = input.reshape((-1,) + input.shape[-2:])
        out = np.stack([np.real(fn(x)) for x in flat]) if len(flat) else flat.copy()
        return out.reshape(input.shape).astype(input.dtype)

    return kernel


def _expm_grad(op, grad):
    """The adjoint of expm at A: the upper-right block of expm([[A^T, G], [0, A^T]])."""
    a_t = _adj(op.inputs[0])
    top = _array.concat([a_t, grad], -1)
    bottom = _array.concat([_array.zeros_like(a_t), a_t], -1)
    block = matrix_exponential(_array.concat([top, bottom], -2))
    n = _array.shape(a_t)[-1]
    rank = a_t.shape.ndims
    begin = _array.concat([_array.zeros([rank - 1], _dt.int32), _array.expand_dims(n, 0)], 0)
    size = _array.concat([-_array.ones([rank - 2], _dt.int32), _array.stack([n, n])], 0)
    return [_manip.slice_(block, begin, size)]


def _sqrtm_grad(op, grad):
    """X with S^T X + X S^T = grad (S the square root): d<grad, S> = <X, dA>; solved as
    one linear system in the n^2 entries (Kronecker form)."""
    s = op.outputs[0]
    n = s.shape.as_list()[-1]
    if n is None or s.shape.ndims != 2:
        raise NotImplementedError("MatrixSquareRoot's gradient needs one matrix of known size")
    eye = _identity_like(s)
    s_t = _adj(s)
    # Row-major vec: vec(S^T X) = (S^T (x) I) vec(X), vec(X S^T) = (I (x) S) vec(X).
    kron = _math.add(_kron(s_t, eye), _kron(eye, s))
    x = matrix_solve(kron, _array.reshape(grad, [n * n, 1]))
    return [_array.reshape(x, [n, n])]


def _kron(a, b):
    n = a.shape.as_list()[-1]
    outer = _math.multiply(_array.reshape(a, [n, 1, n, 1]), _array.reshape(b, [1, n, 1, n]))
    return _array.reshape(outer, [n * n, n * n])


for _type, _fn, _grad in (
    ("MatrixExponential", lambda x: _scipy_linalg().expm(x), _expm_grad),
    ("MatrixSquareRoot", lambda x: _scipy_linalg().sqrtm(x), _sqrtm_grad),
):
    register_op(
        OpDef(
            _type,
            inputs=["input: T"],
            outputs=["output: T"],
            types={"T": _FLOAT},
            infer=lambda input, _t=_type: TensorSpec(input.dtype, TensorShape(_square(_t, input))),
            kernel=_each_matrix(_fn),
            grad=_grad,
        )
    )


def matrix_exponential(input, name=None) -> Tensor:  # noqa: A002
    """exp of square matrices (scipy's Pade approximation with scaling and squaring)."""
    return apply_op("MatrixExponential", [convert_to_tensor(input)], name=name).outputs[0]


def matrix_square_root(input, name=None) -> Tensor:  # noqa: A002
    """The principal square root of square matrices (real eigenvalues > 0 give a real one)."""
    return apply_op("MatrixSquareRoot", [convert_to_tensor(input)], name=name).outputs[0]


# Tridiagonal systems --------------------------------------------------------------------------
def _tridiagonal_dense(diagonals, diagonals_format):
    if diagonals_format == "matrix":
        return convert_to_tensor(diagonals)
    if diagonals_format == "sequence":
        superdiag, maindiag, subdiag = (convert_to_tensor(d) for d in diagonals)
    elif diagonals_format == "compact":
        diagonals = convert_to_tensor(diagonals)
        superdiag, maindiag, subdiag = _array.unstack(diagonals, num=3, axis=-2)
    else:
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    rank = maindiag.shape.ndims
    lead = [[0, 0]] * (rank - 1)
    upper = _manip.pad(matrix_diag(superdiag[..., :-1]), lead + [[0, 1], [1, 0]])
    lower = _manip.pad(matrix_diag(subdiag[..., 1:]), lead + [[1, 0], [0, 1]])
    return _math.add(matrix_diag(maindiag), _math.add(upper, lower))


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None) -> Tensor:
    """The tridiagonal matrix given by its diagonals times `rhs` ("compact": [..., 3, M]
    superdiagonal, diagonal, subdiagonal; "sequence": the three; "matrix": dense)."""
    with name_scope(name, "tridiagonal_matmul"):
        return batch_matmul(_tridiagonal_dense(diagonals, diagonals_format), convert_to_tensor(rhs))


def tridiagonal_solve(
    diagonals,
    rhs,
    diagonals_format="compact",
    transpose_rhs=False,
    conjugate_rhs=False,
    name=None,
    partial_pivoting=True,
    perturb_singular=False,
) -> Tensor:
    """X with T X = rhs for the tridiagonal T given by its diagonals (as tridiagonal_matmul
    takes them); `transpose_rhs` takes rhs as [..., K, M] and returns X the same way."""
    with name_scope(name, "tridiagonal_solve"):
        dense = _tridiagonal_dense(diagonals, diagonals_format)
        rhs = convert_to_tensor(rhs, dtype=dense.dtype)
        vector = rhs.shape.ndims == dense.shape.ndims - 1
        if vector:
            rhs = _array.expand_dims(rhs, -1)
        elif transpose_rhs:
            rhs = _adj(rhs)
        x = matrix_solve(dense, rhs)
        if vector:
            return _array.squeeze(x, [-1])
        return _adj(x) if transpose_rhs else x


# Lu and what uses it; MatrixLogarithm; eigh_tridiagonal ---------------------------------------
def _lu_infer(input, *, output_idx_type):
    dims = _square("Lu", input)
    return [
        TensorSpec(input.dtype, input.shape),
        TensorSpec(_dt.as_dtype(output_idx_type), TensorShape(None if dims is None else dims[:-1])),
    ]


def _lu_kernel(input, *, output_idx_type):
    """LAPACK's getrf (partial pivoting, as TF's) on each matrix; its row swaps become the
    permutation p with input[p] = L U."""
    n = input.shape[-1]
    flat = input.reshape((-1, n, n))
    lu = np.empty_like(flat)
    perm = np.empty((len(flat), n), dtype=_dt.as_dtype(output_idx_type).np)
    for k, matrix in enumerate(flat):
        lu[k], pivots = _scipy_linalg().lu_factor(matrix, check_finite=False)
        order = np.arange(n)
        for i, j in enumerate(pivots):
            order[i], order[j] = order[j], order[i]
        perm[k] = order
    return lu.reshape(input.shape), perm.reshape(input.shape[:-1])


register_op(
    OpDef(
        "Lu",
        inputs=["input: T"],
        outputs=["lu: T", "p: output_idx_type"],
        types={"T": _FLOAT + _dt.COMPLEX},
        attrs={"output_idx_type": "int32"},
        infer=_lu_infer,
        kernel=_lu_kernel,
    )
)


def lu(input, output_idx_type=_dt.int32, name=None):  # noqa: A002
    """(lu, p): L (unit diagonal, below) and U (on and above the diagonal) in one matrix, and
    the row permutation p with input[..., p, :] = L U. TF has no gradient for it."""
    idx = _dt.as_dtype(output_idx_type)
    if idx not in (_dt.int32, _dt.int64):
        raise TypeError(f"lu: output_idx_type must be int32 or int64, got {idx.name}")
    op = apply_op("Lu", [convert_to_tensor(input)], {"output_idx_type": idx.name}, name=name)
    return op.outputs[0], op.outputs[1]


def _permutation_matrix(perm, dtype):
    """P with P[i, perm[i]] = 1, so that P A = A[perm]."""
    n = _array.shape(perm)[-1]
    from .manip import one_hot

    return one_hot(perm, n, dtype=dtype)


def _unit_lower(lower_upper):
    lower = matrix_band_part(lower_upper, -1, 0)
    ones = _array.ones_like(matrix_diag_part(lower_upper))
    return matrix_set_diag(lower, ones)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None) -> Tensor:
    """The matrix `lu` factored: P^T L U."""
    with name_scope(name, "lu_reconstruct"):
        lower_upper = convert_to_tensor(lower_upper)
        perm = convert_to_tensor(perm)
        product = batch_matmul(_unit_lower(lower_upper), matrix_band_part(lower_upper, 0, -1))
        return batch_matmul(_permutation_matrix(perm, lower_upper.dtype), product, adj_x=True)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None) -> Tensor:
    """X with A X = rhs, A given by its `lu` factors: U^-1 L^-1 (P rhs)."""
    with name_scope(name, "lu_solve"):
        lower_upper = convert_to_tensor(lower_upper)
        perm = convert_to_tensor(perm)
        rhs = convert_to_tensor(rhs, dtype=lower_upper.dtype)
        permuted = batch_matmul(_permutation_matrix(perm, lower_upper.dtype), rhs)
        y = matrix_triangular_solve(_unit_lower(lower_upper), permuted, lower=True)
        return matrix_triangular_solve(matrix_band_part(lower_upper, 0, -1), y, lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None) -> Tensor:
    """The inverse of the matrix given by its `lu` factors."""
    with name_scope(name, "lu_matrix_inverse"):
        lower_upper = convert_to_tensor(lower_upper)
        return lu_solve(lower_upper, perm, _identity_like(lower_upper))


def _logm_kernel(input):
    flat = input.reshape((-1,) + input.shape[-2:])
    out = [_scipy_linalg().logm(x) for x in flat]
    return np.asarray(out, dtype=input.dtype).reshape(input.shape)


register_op(
    OpDef(
        "MatrixLogarithm",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _dt.COMPLEX},
        infer=lambda input: TensorSpec(input.dtype, TensorShape(_square("MatrixLogarithm", input))),
        kernel=_logm_kernel,
    )
)


def logm(input, name=None) -> Tensor:  # noqa: A002
    """The principal logarithm of square complex matrices (scipy's inverse scaling and
    squaring); TF has it for complex dtypes only and no gradient."""
    return apply_op("MatrixLogarithm", [convert_to_tensor(input)], name=name).outputs[0]


def eigh_tridiagonal(
    alpha, beta, eigvals_only=True, select="a", select_range=None, tol=None, name=None
):
    """Eigenvalues (ascending), and with eigvals_only=False eigenvectors (columns), of the
    symmetric tridiagonal matrix with diagonal `alpha` and off-diagonal `beta`. `select`:
    "a" all, "i" the indices select_range=[lo, hi] (inclusive), "v" the eigenvalues in
    (lo, hi]."""
    if select not in ("a", "i", "v"):
        raise ValueError(f"'select' must be 'a', 'i' or 'v', got {select!r}")
    if select != "a" and select_range is None:
        raise ValueError(f"select={select!r} needs a select_range")
    with name_scope(name, "eigh_tridiagonal"):
        alpha = convert_to_tensor(alpha)
        beta = convert_to_tensor(beta, dtype=alpha.dtype)
        lower = _manip.pad(matrix_diag(beta), [[1, 0], [0, 1]])
        dense = _math.add(matrix_diag(alpha), _math.add(lower, _adj(lower)))
        values, vectors = self_adjoint_eig(dense)
        if select == "i":
            lo, hi = (int(v) for v in select_range)
            values, vectors = values[lo : hi + 1], vectors[:, lo : hi + 1]
        elif select == "v":
            lo_v, hi_v = (_math._scalar(float(v), alpha.dtype) for v in select_range)
            keep = _math.logical_and(_math.greater(values, lo_v), _math.less_equal(values, hi_v))
            values = _array.boolean_mask(values, keep)
            if not eigvals_only:
                vectors = _adj(_array.boolean_mask(_adj(vectors), keep))
        return values if eigvals_only else (values, vectors)
