// The reference executor's number arithmetic (docs/spec-language.md, "Expressions" and
// "Pointer-sized integers"), as plain functions of values and their static types. A value is an
// int64_t normalized to its type: `int`, `bool` and `status` sign-extended from 32 bits,
// `uintptr` masked to the pointer width.
#pragma once

#include <cstdint>
#include <string>

#include "model/ast.h"
#include "model/types.h"

namespace cc::refexec {

/// True for the number types (bool, int, status, uintptr): the ones C converts between.
bool is_number_type(TypeKind t);

/// `v` converted to type `t` as C converts it (model/types.h convert_number); a value of any
/// other type (a handle, an object index) is returned unchanged.
int64_t to_type(int64_t v, TypeKind t, unsigned pointer_width);

/// Binary operator `op` (not `&&`, `||` or a handle comparison) on `a` of type `lt` and `b` of
/// type `rt`; `type` is the expression's type (sema's). The result is normalized to `type`.
int64_t binary_value(ast::BinaryOp op, int64_t a, TypeKind lt, int64_t b, TypeKind rt,
                     TypeKind type, unsigned pointer_width);

/// Unary `-` or `~` of `v`, normalized to the expression's type `type` (`!` is a truth test).
int64_t unary_value(ast::UnaryOp op, int64_t v, TypeKind type, unsigned pointer_width);

/// A number as traces print an API result of type `t`: unsigned decimal for `uintptr`, signed
/// decimal (of the 32-bit value) for the others (docs/replay.md "calls").
std::string value_text(int64_t v, TypeKind t);

}  // namespace cc::refexec
