/// Compares secrets in time that depends only on their lengths, so a caller cannot guess one byte by byte.
func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    Array(lhs.utf8).withUnsafeBytes { left in Array(rhs.utf8).withUnsafeBytes { right in constantTimeEquals(left, right) } }
}

/// Compares bytes (a computed MAC with a claimed one) in time that depends only on their lengths.
func constantTimeEquals(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
    var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
    for index in 0..<max(left.count, right.count) {
        let a = index < left.count ? left[index] : 0
        let b = index < right.count ? right[index] : 0
        difference |= a ^ b
    }
    return difference == 0 && left.count == right.count
}
