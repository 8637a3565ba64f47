"""`tf.linalg.LinearOperator` and its structured subclasses. Each operator knows its dense
matrix (`to_dense`, built with graph ops, so everything is differentiable) and answers
the LinearOperator methods from it: matmul/matvec, solve/solvevec, determinant and
log_abs_determinant, diag_part, trace, add_to_tensor, adjoint, inverse, cholesky,
eigvals; diagonal, identity and scaled-identity operators answer matmul and the
determinants directly."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .framework import convert_to_tensor, name_scope
from .ops import (
    array as _array,
    complex_ops as _complex,
    linalg as _linalg,
    manip as _manip,
    math as _math,
)
from .ops.array_more import matrix_band_part
from .ops.linalg_more import _tridiagonal_dense, self_adjoint_eigvals
from .shapes import TensorShape


def _adjoint(x):
    x = _linalg.matrix_transpose(x)
    return _complex.conj(x) if x.dtype in _dt.COMPLEX else x


class LinearOperator:
    """An operator A: batch_shape + [M, N], applied without necessarily forming it."""

    def __init__(
        self,
        dtype=None,
        graph_parents=None,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
    ):
        self._dtype = _dt.as_dtype(dtype) if dtype is not None else None
        self._is_non_singular = is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square = is_square
        self._name = name or type(self).__name__

    # To implement: the dense matrix.
    def _to_dense(self):
        raise NotImplementedError

    def to_dense(self, name="to_dense"):
        with name_scope(self._name):
            with name_scope(name):
                return self._to_dense()

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype if self._dtype is not None else self.to_dense().dtype

    @property
    def shape(self) -> TensorShape:
        return self.to_dense().shape

    @property
    def batch_shape(self) -> TensorShape:
        dims = self.shape.as_list()
        return TensorShape(dims[:-2])

    @property
    def tensor_rank(self):
        return self.shape.ndims

    @property
    def domain_dimension(self):
        return self.shape.as_list()[-1]

    @property
    def range_dimension(self):
        return self.shape.as_list()[-2]

    @property
    def graph_parents(self):
        return []

    is_non_singular = property(lambda self: self._is_non_singular)
    is_self_adjoint = property(lambda self: self._is_self_adjoint)
    is_positive_definite = property(lambda self: self._is_positive_definite)

    @property
    def is_square(self):
        if self._is_square is not None:
            return self._is_square
        m, n = self.shape.as_list()[-2:]
        return None if m is None or n is None else m == n

    def shape_tensor(self, name="shape_tensor"):
        return _array.shape(self.to_dense())

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        shape = self.shape_tensor()
        return _manip.slice_(shape, [0], [self.tensor_rank - 2])

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        return convert_to_tensor(self.tensor_rank, dtype=_dt.int32)

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        return _array.shape(self.to_dense())[-1]

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        return _array.shape(self.to_dense())[-2]

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        if isinstance(x, LinearOperator):
            left = LinearOperatorAdjoint(self) if adjoint else self
            right = LinearOperatorAdjoint(x) if adjoint_arg else x
            return LinearOperatorComposition([left, right])
        with name_scope(self._name):
            with name_scope(name):
                x = convert_to_tensor(x, dtype=self.dtype)
                x = _adjoint(x) if adjoint_arg else x
                return self._matmul(x, adjoint)

    def _matmul(self, x, adjoint):
        a = self.to_dense()
        return _math.matmul(_adjoint(a) if adjoint else a, x)

    def matvec(self, x, adjoint=False, name="matvec"):
        x = convert_to_tensor(x, dtype=self.dtype)
        return _array.squeeze(
            self.matmul(_array.expand_dims(x, -1), adjoint=adjoint, name=name), [-1]
        )

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        with name_scope(self._name):
            with name_scope(name):
                rhs = convert_to_tensor(rhs, dtype=self.dtype)
                rhs = _adjoint(rhs) if adjoint_arg else rhs
                return self._solve(rhs, adjoint)

    def _solve(self, rhs, adjoint):
        return _linalg.matrix_solve(self.to_dense(), rhs, adjoint=adjoint)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        rhs = convert_to_tensor(rhs, dtype=self.dtype)
        return _array.squeeze(
            self.solve(_array.expand_dims(rhs, -1), adjoint=adjoint, name=name), [-1]
        )

    def determinant(self, name="det"):
        with name_scope(self._name):
            with name_scope(name):
                return self._determinant()

    def _determinant(self):
        return _linalg.matrix_determinant(self.to_dense())

    def log_abs_determinant(self, name="log_abs_det"):
        with name_scope(self._name):
            with name_scope(name):
                return self._log_abs_determinant()

    def _log_abs_determinant(self):
        return _linalg.slogdet(self.to_dense())[1]

    def diag_part(self, name="diag_part"):
        return _linalg.matrix_diag_part(self.to_dense())

    def trace(self, name="trace"):
        return _math.reduce_sum(self.diag_part(), axis=-1)

    def add_to_tensor(self, x, name="add_to_tensor"):
        return _math.add(self.to_dense(), convert_to_tensor(x, dtype=self.dtype))

    def adjoint(self, name="adjoint"):
        return LinearOperatorAdjoint(self)

    H = property(adjoint)

    def inverse(self, name="inverse"):
        return LinearOperatorInversion(self)

    def cholesky(self, name="cholesky"):
        return LinearOperatorLowerTriangular(
            _linalg.cholesky(self.to_dense()), is_non_singular=True, is_square=True
        )

    def eigvals(self, name="eigvals"):
        return self_adjoint_eigvals(self.to_dense())

    def assert_non_singular(self, name="assert_non_singular"):
        from .ops import debug as _debug

        det = _math.abs(self.determinant())
        return _debug.assert_positive(det, message="Singular operator")

    def assert_positive_definite(self, name="assert_positive_definite"):
        from .ops import debug as _debug

        return _debug.assert_positive(self.eigvals(), message="Not positive definite")

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        from .ops import debug as _debug

        dense = self.to_dense()
        return _debug.assert_near(dense, _adjoint(dense), message="Not self-adjoint")


class LinearOperatorFullMatrix(LinearOperator):
    """A dense matrix (or batch of them)."""

    def __init__(
        self,
        matrix,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorFullMatrix",
    ):
        self._matrix = convert_to_tensor(matrix)
        super().__init__(
            self._matrix.dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name,
        )

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """diag(d): matmul and the determinants from the diagonal itself."""

    def __init__(
        self,
        diag,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=True,
        name="LinearOperatorDiag",
    ):
        self._diag = convert_to_tensor(diag)
        super().__init__(
            self._diag.dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
        )

    def _to_dense(self):
        return _linalg.matrix_diag(self._diag)

    def _matmul(self, x, adjoint):
        d = _complex.conj(self._diag) if adjoint else self._diag
        return _math.multiply(_array.expand_dims(d, -1), x)

    def _solve(self, rhs, adjoint):
        d = _complex.conj(self._diag) if adjoint else self._diag
        return _math.real_div(rhs, _array.expand_dims(d, -1))

    def _determinant(self):
        return _math.reduce_prod(self._diag, axis=-1)

    def _log_abs_determinant(self):
        return _math.reduce_sum(_math.log(_math.abs(self._diag)), axis=-1)

    def diag_part(self, name="diag_part"):
        return self._diag


class LinearOperatorIdentity(LinearOperator):
    """The identity of num_rows (batched by batch_shape)."""

    def __init__(
        self,
        num_rows,
        batch_shape=None,
        dtype=None,
        is_non_singular=True,
        is_self_adjoint=True,
        is_positive_definite=True,
        is_square=True,
        assert_proper_shapes=False,
        name="LinearOperatorIdentity",
    ):
        self._rows = int(num_rows)
        self._batch = list(batch_shape or [])
        super().__init__(dtype or _dt.float32, None, True, True, True, True, name)

    def _ones(self):
        return _array.ones(self._batch + [self._rows], self._dtype)

    def _to_dense(self):
        return _linalg.matrix_diag(self._ones())

    def _matmul(self, x, adjoint):
        return x

    def _solve(self, rhs, adjoint):
        return rhs

    def _determinant(self):
        return _array.ones(self._batch, self._dtype)

    def _log_abs_determinant(self):
        return _array.zeros(self._batch, self._dtype)


class LinearOperatorScaledIdentity(LinearOperator):
    """multiplier * I (multiplier a scalar or one per batch member)."""

    def __init__(
        self,
        num_rows,
        multiplier,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=True,
        assert_proper_shapes=False,
        name="LinearOperatorScaledIdentity",
    ):
        self._rows = int(num_rows)
        self._multiplier = convert_to_tensor(multiplier)
        super().__init__(
            self._multiplier.dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
        )

    def _scale(self):
        return _array.expand_dims(_array.expand_dims(self._multiplier, -1), -1)

    def _to_dense(self):
        eye = _array.eye(self._rows, dtype=self._multiplier.dtype)
        return _math.multiply(self._scale(), eye)

    def _matmul(self, x, adjoint):
        m = self._scale()
        return _math.multiply(_complex.conj(m) if adjoint else m, x)

    def _solve(self, rhs, adjoint):
        m = self._scale()
        return _math.real_div(rhs, _complex.conj(m) if adjoint else m)

    def _determinant(self):
        return _math.pow(self._multiplier, float(self._rows))

    def _log_abs_determinant(self):
        return _math.multiply(_math.log(_math.abs(self._multiplier)), float(self._rows))


class LinearOperatorLowerTriangular(LinearOperator):
    """The lower triangle of `tril` (its upper part is ignored); solves by substitution."""

    def __init__(
        self,
        tril,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorLowerTriangular",
    ):
        self._tril = convert_to_tensor(tril)
        super().__init__(
            self._tril.dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
        )

    def _to_dense(self):
        return matrix_band_part(self._tril, -1, 0)

    def _solve(self, rhs, adjoint):
        return _linalg.matrix_triangular_solve(self._to_dense(), rhs, lower=True, adjoint=adjoint)

    def _determinant(self):
        return _math.reduce_prod(_linalg.matrix_diag_part(self._tril), axis=-1)

    def _log_abs_determinant(self):
        diag = _linalg.matrix_diag_part(self._tril)
        return _math.reduce_sum(_math.log(_math.abs(diag)), axis=-1)


class LinearOperatorZeros(LinearOperator):
    """The [num_rows, num_columns] zero matrix."""

    def __init__(
        self,
        num_rows,
        num_columns=None,
        batch_shape=None,
        dtype=None,
        is_non_singular=False,
        is_self_adjoint=True,
        is_positive_definite=False,
        is_square=True,
        assert_proper_shapes=False,
        name="LinearOperatorZeros",
    ):
        self._rows = int(num_rows)
        self._cols = int(num_rows if num_columns is None else num_columns)
        self._batch = list(batch_shape or [])
        super().__init__(
            dtype or _dt.float32, None, False, True, False, self._rows == self._cols, name
        )

    def _to_dense(self):
        return _array.zeros(self._batch + [self._rows, self._cols], self._dtype)


class _OfOperator(LinearOperator):
    """An operator made of one other (`operator`), named after it with `_suffix`."""

    _suffix = ""
    _invertible: bool | None = None  # fixed non-singularity and squareness, when implied

    def __init__(
        self,
        operator,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
    ):
        self._operator = operator
        fixed = self._invertible
        super().__init__(
            operator.dtype,
            None,
            fixed if fixed is not None else is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            fixed if fixed is not None else is_square,
            name or operator.name + self._suffix,
        )

    operator = property(lambda self: self._operator)


class LinearOperatorAdjoint(_OfOperator):
    """The adjoint (conjugate transpose) of an operator."""

    _suffix = "_adjoint"

    def _to_dense(self):
        return _adjoint(self._operator.to_dense())


class LinearOperatorInversion(_OfOperator):
    """The inverse of a non-singular operator."""

    _suffix = "_inv"
    _invertible = True

    def _to_dense(self):
        return _linalg.matrix_inverse(self._operator.to_dense())

    def _matmul(self, x, adjoint):
        return self._operator.solve(x, adjoint=adjoint)

    def _solve(self, rhs, adjoint):
        return self._operator.matmul(rhs, adjoint=adjoint)


class _OfOperators(LinearOperator):
    """An operator made of others (`operators`, all of one dtype), named by joining their
    names with `_joiner`, as TF names them."""

    _joiner = "_"
    _square: bool | None = None  # fixed squareness, when the structure implies it

    def __init__(
        self,
        operators,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
    ):
        if not operators:
            raise ValueError("Expected a non-empty list of operators.")
        self._operators = list(operators)
        dtypes = {op.dtype for op in self._operators}
        if len(dtypes) > 1:
            found = "   ".join(f"({op.name!r}, {op.dtype!r})" for op in self._operators)
            raise TypeError(f"Expected all operators to have the same dtype.  Found {found}")
        super().__init__(
            self._operators[0].dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            self._square if self._square is not None else is_square,
            name or self._joiner.join(op.name for op in self._operators),
        )

    operators = property(lambda self: list(self._operators))


class LinearOperatorComposition(_OfOperators):
    """The product operators[0] @ operators[1] @ ..."""

    _joiner = "_o_"

    def _to_dense(self):
        dense = self._operators[0].to_dense()
        for op in self._operators[1:]:
            dense = _math.matmul(dense, op.to_dense())
        return dense


def _block_diag(blocks):
    cols = [b.shape.as_list()[-1] for b in blocks]
    total = sum(cols)
    out, left = [], 0
    for b, c in zip(blocks, cols):
        rank = b.shape.ndims
        pads = [[0, 0]] * (rank - 2) + [[0, 0], [left, total - left - c]]
        out.append(_manip.pad(b, pads))
        left += c
    return _array.concat(out, -2)


class LinearOperatorBlockDiag(_OfOperators):
    """The block-diagonal operator with the given operators on its diagonal."""

    _joiner = "_ds_"
    _square = True

    def _to_dense(self):
        return _block_diag([op.to_dense() for op in self._operators])


class LinearOperatorBlockLowerTriangular(LinearOperator):
    """Block lower-triangular: operators[i] lists the blocks of row i (i + 1 of them)."""

    def __init__(
        self,
        operators,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorBlockLowerTriangular",
    ):
        self._operators = [list(row) for row in operators]
        super().__init__(
            self._operators[0][0].dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
        )

    operators = property(lambda self: [list(r) for r in self._operators])

    def _to_dense(self):
        sizes = [row[-1].shape.as_list()[-1] for row in self._operators]
        rows = []
        for i, row in enumerate(self._operators):
            dense = [op.to_dense() for op in row]
            rank = dense[0].shape.ndims
            right = sum(sizes[i + 1 :])
            joined = _array.concat(dense, -1)
            rows.append(_manip.pad(joined, [[0, 0]] * (rank - 2) + [[0, 0], [0, right]]))
        return _array.concat(rows, -2)


class LinearOperatorKronecker(_OfOperators):
    """The Kronecker product of the operators."""

    _joiner = "_x_"

    def _to_dense(self):
        result = self._operators[0].to_dense()
        for op in self._operators[1:]:
            b = op.to_dense()
            (m, n), (p, q) = result.shape.as_list()[-2:], b.shape.as_list()[-2:]
            outer = _math.multiply(
                _array.expand_dims(_array.expand_dims(result, -1), -3),
                _array.expand_dims(_array.expand_dims(b, -3), -2),
            )
            # [..., m, p, n, q]: result[i, j] * b[k, l] at [i, k, j, l]
            lead = outer.shape.as_list()[:-4]
            result = _array.reshape(outer, lead + [m * p, n * q])
        return result


class LinearOperatorLowRankUpdate(LinearOperator):
    """base_operator + U diag(diag_update) V^H (V = U when not given)."""

    def __init__(
        self,
        base_operator,
        u,
        diag_update=None,
        v=None,
        is_diag_update_positive=None,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorLowRankUpdate",
    ):
        self._base = base_operator
        self._u = convert_to_tensor(u, dtype=base_operator.dtype)
        self._v = self._u if v is None else convert_to_tensor(v, dtype=base_operator.dtype)
        self._diag = (
            None
            if diag_update is None
            else convert_to_tensor(diag_update, dtype=base_operator.dtype)
        )
        super().__init__(
            base_operator.dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name,
        )

    base_operator = property(lambda self: self._base)
    u = property(lambda self: self._u)
    v = property(lambda self: self._v)
    diag_update = property(lambda self: self._diag)

    def _to_dense(self):
        u = self._u
        if self._diag is not None:
            u = _math.multiply(u, _array.expand_dims(self._diag, -2))
        return _math.add(self._base.to_dense(), _math.matmul(u, _adjoint(self._v)))


class LinearOperatorHouseholder(LinearOperator):
    """The reflection I - 2 v v^H / (v^H v) about the hyperplane normal to v."""

    def __init__(
        self,
        reflection_axis,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorHouseholder",
    ):
        self._axis = convert_to_tensor(reflection_axis)
        super().__init__(self._axis.dtype, None, True, True, False, True, name)

    reflection_axis = property(lambda self: self._axis)

    def _to_dense(self):
        v = _array.expand_dims(self._axis, -1)
        n = self._axis.shape.as_list()[-1]
        if self._axis.dtype.is_complex:
            raise NotImplementedError("LinearOperatorHouseholder of a complex axis")
        norm = _math.reduce_sum(_math.square(self._axis), axis=-1)
        outer = _math.matmul(v, _adjoint(v))
        scale = _array.expand_dims(_array.expand_dims(_math.real_div(2.0, norm), -1), -1)
        eye = _array.eye(n, dtype=self._axis.dtype)
        return _math.subtract(eye, _math.multiply(scale, outer))


class LinearOperatorPermutation(LinearOperator):
    """The permutation matrix P with P[i, perm[i]] = 1 (P x = x[perm])."""

    def __init__(
        self,
        perm,
        dtype=_dt.float32,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorPermutation",
    ):
        self._perm = convert_to_tensor(perm)
        super().__init__(dtype, None, True, None, None, True, name)

    perm = property(lambda self: self._perm)

    def _to_dense(self):
        n = self._perm.shape.as_list()[-1]
        return _manip.one_hot(self._perm, n, dtype=self._dtype)


class LinearOperatorToeplitz(LinearOperator):
    """The Toeplitz matrix with first column `col` and first row `row` (row[0] unused)."""

    def __init__(
        self,
        col,
        row,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorToeplitz",
    ):
        self._col = convert_to_tensor(col)
        self._row = convert_to_tensor(row, dtype=self._col.dtype)
        super().__init__(
            self._col.dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
        )

    col = property(lambda self: self._col)
    row = property(lambda self: self._row)

    def _to_dense(self):
        n = self._col.shape.as_list()[-1]
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        # values = [row reversed (without row[0]), col]: entry (i, j) at index n - 1 + i - j
        values = _array.concat(
            [_manip.reverse(_manip.slice_(self._row, [1], [n - 1]), [0]), self._col], -1
        )
        return _array.gather(values, (n - 1 + i - j).astype(np.int32), axis=-1)


class LinearOperatorTridiag(LinearOperator):
    """A tridiagonal operator from its diagonals (as tf.linalg.tridiagonal_matmul takes
    them: "compact", "sequence" or "matrix")."""

    def __init__(
        self,
        diagonals,
        diagonals_format="compact",
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorTridiag",
    ):
        self._diagonals = diagonals
        self._format = diagonals_format
        first = diagonals[0] if diagonals_format == "sequence" else diagonals
        dtype = convert_to_tensor(first).dtype
        super().__init__(
            dtype, None, is_non_singular, is_self_adjoint, is_positive_definite, True, name
        )

    diagonals = property(lambda self: self._diagonals)
    diagonals_format = property(lambda self: self._format)

    def _to_dense(self):
        return _tridiagonal_dense(self._diagonals, self._format)


class LinearOperatorCirculant(LinearOperator):
    """The circulant operator with the given spectrum (its eigenvalues, the DFT of its
    first column): A = F^-1 diag(spectrum) F, complex by default (input_output_dtype)."""

    _rank = 1

    def __init__(
        self,
        spectrum,
        input_output_dtype=_dt.complex64,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=True,
        name=None,
    ):
        self._spectrum = convert_to_tensor(spectrum)
        if self._spectrum.dtype not in _dt.COMPLEX:
            self._spectrum = _math.cast(self._spectrum, _dt.complex64)
        super().__init__(
            input_output_dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name or type(self).__name__,
        )

    spectrum = property(lambda self: self._spectrum)

    def _to_dense(self):
        block = self._spectrum.shape.as_list()[-self._rank :]
        n = int(np.prod(block))
        basis = _array.reshape(_array.eye(n, dtype=self._spectrum.dtype), [n] + block)
        transformed = _complex._fftn(basis, self._rank, False)
        applied = _complex._fftn(_math.multiply(transformed, self._spectrum), self._rank, True)
        dense = _linalg.matrix_transpose(_array.reshape(applied, [n, n]))
        return _math.cast(dense, self._dtype) if self._dtype != dense.dtype else dense


class LinearOperatorCirculant2D(LinearOperatorCirculant):
    """The block circulant operator with circulant blocks of a 2-D spectrum."""

    _rank = 2


class LinearOperatorCirculant3D(LinearOperatorCirculant):
    """The nested circulant operator of a 3-D spectrum."""

    _rank = 3
