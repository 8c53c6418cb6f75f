extension Substring {
    func trimmingPrefixWhitespace() -> Substring { drop(while: \.isWhitespace) }
}

extension String {
    func trimmingPrefixWhitespace() -> Substring { self[...].trimmingPrefixWhitespace() }
}

extension String {
    /// Ruby's `String#length`: Unicode code points (an emoji with modifiers counts several), which is what
    /// Chatwoot's length validations measure.
    var rubyLength: Int { unicodeScalars.count }
}
