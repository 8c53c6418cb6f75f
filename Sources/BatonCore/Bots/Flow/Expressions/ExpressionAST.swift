/// The parsed form of an expression.
///
/// Chains of operators of one precedence level are stored flat (`binary`, `logical`, `path`) rather than
/// as left-deep trees: the tree depth then only grows with bracket and unary nesting, which the parser
/// caps, so evaluating, hashing and freeing a tree can never exhaust the stack however long a chain is.
indirect enum ExpressionNode: Sendable, Hashable {
    case literal(JSONValue)
    case array([ExpressionNode])
    /// One of the scope roots `input`, `context`, `profile`, `session`.
    case root(String)
    /// Member and index accesses applied left to right to `base`.
    case path(base: ExpressionNode, accessors: [ExpressionAccessor])
    case call(ExpressionFunction, arguments: [ExpressionNode], offset: Int)
    case unary(UnaryOperator, operand: ExpressionNode, offset: Int)
    /// `first op₁ operand₁ op₂ operand₂ …`, all of one precedence level, applied left to right.
    case binary(first: ExpressionNode, rest: [BinaryOperation])
    /// `operand₁ op operand₂ op …` for one short-circuiting operator.
    case logical(LogicalOperator, operands: [ExpressionNode])
    case conditional(condition: ExpressionNode, then: ExpressionNode, otherwise: ExpressionNode)

    /// The scope roots read anywhere in the tree.
    var referencedRoots: Set<String> {
        var roots: Set<String> = []
        collectRoots(into: &roots)
        return roots
    }

    private func collectRoots(into roots: inout Set<String>) {
        switch self {
        case .literal:
            break
        case .root(let name):
            roots.insert(name)
        case .array(let elements):
            for element in elements { element.collectRoots(into: &roots) }
        case .path(let base, let accessors):
            base.collectRoots(into: &roots)
            for case .index(let index, _) in accessors { index.collectRoots(into: &roots) }
        case .call(_, let arguments, _):
            for argument in arguments { argument.collectRoots(into: &roots) }
        case .unary(_, let operand, _):
            operand.collectRoots(into: &roots)
        case .binary(let first, let rest):
            first.collectRoots(into: &roots)
            for operation in rest { operation.operand.collectRoots(into: &roots) }
        case .logical(_, let operands):
            for operand in operands { operand.collectRoots(into: &roots) }
        case .conditional(let condition, let then, let otherwise):
            condition.collectRoots(into: &roots)
            then.collectRoots(into: &roots)
            otherwise.collectRoots(into: &roots)
        }
    }
}

/// A postfix access: `.name` or `[index]`.
enum ExpressionAccessor: Sendable, Hashable {
    case member(String)
    case index(ExpressionNode, offset: Int)
}

/// One `op operand` step of a binary chain; `offset` locates the operator for runtime errors.
struct BinaryOperation: Sendable, Hashable {
    let op: BinaryOperator
    let operand: ExpressionNode
    let offset: Int
}

enum UnaryOperator: Sendable, Hashable {
    case not
    case negate
}

enum LogicalOperator: Sendable, Hashable {
    case and
    case or
}

enum BinaryOperator: String, Sendable, Hashable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessEqual = "<="
    case greater = ">"
    case greaterEqual = ">="
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case remainder = "%"

    /// Binary precedence levels from loosest to tightest; `&&`/`||` and `?:` sit below these.
    static let levels: [[BinaryOperator]] = [
        [.equal, .notEqual],
        [.less, .lessEqual, .greater, .greaterEqual],
        [.add, .subtract],
        [.multiply, .divide, .remainder],
    ]

    init?(symbol: ExpressionSymbol) {
        self.init(rawValue: symbol.rawValue)
    }
}
