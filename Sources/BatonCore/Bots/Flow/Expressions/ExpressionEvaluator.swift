/// Evaluates an `ExpressionNode` against a scope object.
///
/// Reads never fail: a missing member, an index out of range or an access on the wrong type gives `null`.
/// Errors are reserved for operations with no sensible result (mixed-type comparisons, arithmetic on
/// non-numbers, division by zero, non-finite results, oversized strings, invalid regular expressions).
struct ExpressionEvaluator {
    /// The largest string an operator or function may produce, in UTF-8 bytes.
    static let maximumStringBytes = 64 * 1024

    let scope: JSONValue

    // Each case is handled in its own method: unoptimised builds give a function one frame slot per
    // temporary of every branch, and `evaluate` sits on the stack once per nesting level.
    func evaluate(_ node: ExpressionNode) throws(ExpressionError) -> JSONValue {
        switch node {
        case .literal(let value):
            return value
        case .array(let elements):
            return try evaluateArray(elements)
        case .root(let name):
            return scope[name] ?? .null
        case .path(let base, let accessors):
            return try evaluatePath(base, accessors)
        case .call(let function, let arguments, let offset):
            return try call(function, arguments, at: offset)
        case .unary(let op, let operand, let offset):
            return try evaluateUnary(op, operand, at: offset)
        case .binary(let first, let rest):
            return try evaluateBinary(first, rest)
        case .logical(let op, let operands):
            return try evaluateLogical(op, operands)
        case .conditional(let condition, let then, let otherwise):
            return try evaluate(condition).isTruthy ? evaluate(then) : evaluate(otherwise)
        }
    }

    private func evaluateArray(_ elements: [ExpressionNode]) throws(ExpressionError) -> JSONValue {
        var values: [JSONValue] = []
        values.reserveCapacity(elements.count)
        for element in elements { values.append(try evaluate(element)) }
        return .array(values)
    }

    private func evaluatePath(_ base: ExpressionNode, _ accessors: [ExpressionAccessor]) throws(ExpressionError) -> JSONValue {
        var value = try evaluate(base)
        for accessor in accessors {
            switch accessor {
            case .member(let name):
                value = value[name] ?? .null
            case .index(let indexNode, _):
                value = Self.element(of: value, at: try evaluate(indexNode))
            }
        }
        return value
    }

    private func evaluateUnary(_ op: UnaryOperator, _ operandNode: ExpressionNode, at offset: Int) throws(ExpressionError) -> JSONValue {
        let operand = try evaluate(operandNode)
        switch op {
        case .not:
            return .bool(!operand.isTruthy)
        case .negate:
            guard case .number(let number) = operand else { throw Self.cannotNegate(operand, at: offset) }
            return .number(-number)
        }
    }

    private func evaluateBinary(_ firstNode: ExpressionNode, _ rest: [BinaryOperation]) throws(ExpressionError) -> JSONValue {
        var value = try evaluate(firstNode)
        for operation in rest {
            let right = try evaluate(operation.operand)
            value = try Self.apply(operation.op, value, right, at: operation.offset)
        }
        return value
    }

    private func evaluateLogical(_ op: LogicalOperator, _ operands: [ExpressionNode]) throws(ExpressionError) -> JSONValue {
        // Short-circuit: stop at the first operand that decides the result, so later ones never run.
        let decisive = op == .or
        for operand in operands {
            if try evaluate(operand).isTruthy == decisive { return .bool(decisive) }
        }
        return .bool(!decisive)
    }

    private func call(_ function: ExpressionFunction, _ arguments: [ExpressionNode], at offset: Int) throws(ExpressionError) -> JSONValue {
        if function == .defaultValue, let valueNode = arguments.first, let fallbackNode = arguments.last {
            // The fallback is only evaluated when needed, like the right side of `||`.
            let value = try evaluate(valueNode)
            return value == .null || value == .string("") ? try evaluate(fallbackNode) : value
        }
        var values: [JSONValue] = []
        for argument in arguments { values.append(try evaluate(argument)) }
        return try function.apply(to: values, at: offset)
    }

    private static func element(of container: JSONValue, at index: JSONValue) -> JSONValue {
        switch (container, index) {
        case (.array(let elements), .number(let position)):
            guard position >= 0, position == position.rounded(), position < Double(elements.count) else { return .null }
            return elements[Int(position)]
        case (.object(let members), .string(let key)):
            return members[key] ?? .null
        default:
            return .null
        }
    }

    private static func apply(_ op: BinaryOperator, _ left: JSONValue, _ right: JSONValue, at offset: Int) throws(ExpressionError) -> JSONValue {
        switch op {
        case .equal:
            return .bool(left == right)
        case .notEqual:
            return .bool(left != right)
        case .less, .lessEqual, .greater, .greaterEqual:
            return .bool(try compare(op, left, right, at: offset))
        case .add:
            switch (left, right) {
            case (.string, _), (_, .string):
                return try ExpressionFunction.checked(left.displayText + right.displayText, at: offset)
            default:
                return try arithmetic(op, left, right, at: offset)
            }
        case .subtract, .multiply, .divide, .remainder:
            return try arithmetic(op, left, right, at: offset)
        }
    }

    private static func compare(_ op: BinaryOperator, _ left: JSONValue, _ right: JSONValue, at offset: Int) throws(ExpressionError) -> Bool {
        switch (left, right) {
        case (.number(let a), .number(let b)):
            return ordered(op, a, b)
        case (.string(let a), .string(let b)):
            return ordered(op, a, b)
        default:
            throw ExpressionError(
                message: "cannot compare \(typeName(left)) with \(typeName(right)) using '\(op.rawValue)'",
                offset: offset
            )
        }
    }

    private static func ordered<T: Comparable>(_ op: BinaryOperator, _ a: T, _ b: T) -> Bool {
        switch op {
        case .less: a < b
        case .lessEqual: a <= b
        case .greater: a > b
        default: a >= b
        }
    }

    private static func arithmetic(_ op: BinaryOperator, _ left: JSONValue, _ right: JSONValue, at offset: Int) throws(ExpressionError) -> JSONValue {
        guard case .number(let a) = left, case .number(let b) = right else {
            let verb = op == .add ? "add" : "apply '\(op.rawValue)' to"
            throw ExpressionError(message: "cannot \(verb) \(typeName(left)) and \(typeName(right))", offset: offset)
        }
        let result: Double
        switch op {
        case .add: result = a + b
        case .subtract: result = a - b
        case .multiply: result = a * b
        case .divide where b == 0: throw ExpressionError(message: "division by zero", offset: offset)
        case .divide: result = a / b
        case .remainder where b == 0: throw ExpressionError(message: "modulo by zero", offset: offset)
        // Truncating, as in C and JavaScript: the result takes the sign of the dividend.
        case .remainder: result = a.truncatingRemainder(dividingBy: b)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return .null  // routed elsewhere by `apply`
        }
        // JSON has no infinities; an overflow must surface here rather than be stored as `null` later.
        guard result.isFinite else {
            throw ExpressionError(message: "result of '\(op.rawValue)' is too large", offset: offset)
        }
        return .number(result)
    }

    private static func cannotNegate(_ operand: JSONValue, at offset: Int) -> ExpressionError {
        ExpressionError(message: "cannot negate \(typeName(operand))", offset: offset)
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
