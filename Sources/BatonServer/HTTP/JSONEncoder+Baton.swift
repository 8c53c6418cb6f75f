import Foundation

extension JSONEncoder {
    /// The encoder for every JSON body Baton sends.
    static let baton: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
}
