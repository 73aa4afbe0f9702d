// GGUF typed values: constructors, accessors and type names.
#include <cmath>
#include <limits>

#include "formats/gguf.hpp"

namespace apr::gguf {

const char* to_string(ValueType t) noexcept {
  switch (t) {
    case ValueType::UINT8: return "UINT8";
    case ValueType::INT8: return "INT8";
    case ValueType::UINT16: return "UINT16";
    case ValueType::INT16: return "INT16";
    case ValueType::UINT32: return "UINT32";
    case ValueType::INT32: return "INT32";
    case ValueType::FLOAT32: return "FLOAT32";
    case ValueType::BOOL: return "BOOL";
    case ValueType::STRING: return "STRING";
    case ValueType::ARRAY: return "ARRAY";
    case ValueType::UINT64: return "UINT64";
    case ValueType::INT64: return "INT64";
    case ValueType::FLOAT64: return "FLOAT64";
  }
  return "?";
}

namespace {
Value scalar(ValueType t) {
  Value v;
  v.type = t;
  return v;
}
bool is_unsigned(ValueType t) {
  return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 || t == ValueType::UINT64;
}
bool is_signed(ValueType t) {
  return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 || t == ValueType::INT64;
}
}  // namespace

Value Value::u8(std::uint8_t v) { auto r = scalar(ValueType::UINT8); r.u = v; return r; }
Value Value::u16(std::uint16_t v) { auto r = scalar(ValueType::UINT16); r.u = v; return r; }
Value Value::u32(std::uint32_t v) { auto r = scalar(ValueType::UINT32); r.u = v; return r; }
Value Value::u64(std::uint64_t v) { auto r = scalar(ValueType::UINT64); r.u = v; return r; }
Value Value::i8(std::int8_t v) { auto r = scalar(ValueType::INT8); r.i = v; return r; }
Value Value::i16(std::int16_t v) { auto r = scalar(ValueType::INT16); r.i = v; return r; }
Value Value::i32(std::int32_t v) { auto r = scalar(ValueType::INT32); r.i = v; return r; }
Value Value::i64(std::int64_t v) { auto r = scalar(ValueType::INT64); r.i = v; return r; }
Value Value::f32(float v) { auto r = scalar(ValueType::FLOAT32); r.f = v; return r; }
Value Value::f64(double v) { auto r = scalar(ValueType::FLOAT64); r.f = v; return r; }
Value Value::boolean(bool v) { auto r = scalar(ValueType::BOOL); r.b = v; return r; }
Value Value::str(std::string v) { auto r = scalar(ValueType::STRING); r.s = std::move(v); return r; }

Value Value::array_of(ValueType elem) {
  if (elem == ValueType::ARRAY) throw validation_error("GGUF arrays of arrays are not supported");
  Value r = scalar(ValueType::ARRAY);
  r.array_type = elem;
  return r;
}
Value Value::str_array(std::vector<std::string> v) {
  Value r = array_of(ValueType::STRING);
  r.arr_s = std::move(v);
  return r;
}
Value Value::i32_array(std::vector<std::int64_t> v) {
  Value r = array_of(ValueType::INT32);
  r.arr_i = std::move(v);
  return r;
}
Value Value::f32_array(std::vector<double> v) {
  Value r = array_of(ValueType::FLOAT32);
  r.arr_f = std::move(v);
  return r;
}

bool Value::is_integer() const noexcept { return is_unsigned(type) || is_signed(type); }

std::uint64_t Value::as_u64() const {
  if (is_unsigned(type)) return u;
  if (is_signed(type)) {
    if (i < 0) throw validation_error("expected a non-negative integer, found " + std::to_string(i));
    return static_cast<std::uint64_t>(i);
  }
  throw validation_error(std::string("expected an integer, found ") + to_string(type));
}

std::int64_t Value::as_i64() const {
  if (is_signed(type)) return i;
  if (is_unsigned(type)) {
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw validation_error("integer " + std::to_string(u) + " does not fit int64");
    return static_cast<std::int64_t>(u);
  }
  throw validation_error(std::string("expected an integer, found ") + to_string(type));
}

double Value::as_f64() const {
  if (type == ValueType::FLOAT32 || type == ValueType::FLOAT64) return f;
  if (is_unsigned(type)) return static_cast<double>(u);
  if (is_signed(type)) return static_cast<double>(i);
  throw validation_error(std::string("expected a number, found ") + to_string(type));
}

std::size_t Value::array_size() const noexcept {
  if (type != ValueType::ARRAY) return 0;
  switch (array_type) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64:
      return arr_u.size();
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64:
      return arr_i.size();
    case ValueType::FLOAT32: case ValueType::FLOAT64: return arr_f.size();
    case ValueType::BOOL: return arr_b.size();
    case ValueType::STRING: return arr_s.size();
    case ValueType::ARRAY: return 0;
  }
  return 0;
}

}  // namespace apr::gguf
