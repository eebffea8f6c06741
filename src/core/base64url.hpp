#pragma once
// base64url without padding (RFC 4648 §5), as used by JWT and JWKS.

#include <optional>
#include <string>
#include <string_view>

namespace parley {

// Encodes arbitrary bytes; the result never contains '='.
std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url. Returns nullopt on padding, characters outside the
// base64url alphabet, a length of 1 mod 4 (no byte sequence encodes to it), or
// non-zero trailing bits (so each byte string has exactly one accepted encoding).
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace parley
