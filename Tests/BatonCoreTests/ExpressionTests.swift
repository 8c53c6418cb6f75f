import BatonCore
import Testing

/// The scope most expression tests evaluate against.
let expressionScope: JSONValue = [
    "input": ["text": "Hello World", "number": 42, "i": 2],
    "context": [
        "age": 30, "name": "Ada", "tags": ["a", "b", "c"], "i": 1, "empty": "", "zero": 0, "flag": true,
        "nothing": nil, "key": "name", "weird key": 5, "null": "keyword member",
        "nested": ["user": ["name": "Grace"]],
        "items": [["id": 1], ["id": 2]],
    ],
    "profile": ["tier": "gold", "name": "Ada Lovelace"],
    "session": ["id": "s-1"],
]

private func evaluate(_ source: String, in scope: JSONValue = expressionScope) throws(ExpressionError) -> JSONValue {
    try Expression(parsing: source).evaluate(in: scope)
}

private func parseError(_ source: String) -> ExpressionError? {
    do {
        _ = try Expression(parsing: source)
        return nil
    } catch {
        return error
    }
}

private func string(_ character: Character, _ count: Int) -> String {
    String(repeating: character, count: count)
}

@Suite struct ExpressionTests {
    // MARK: - Literals and paths

    static let literals: [(String, JSONValue)] = [
        ("12", 12), ("0", 0), ("007", 7), ("3.5", 3.5), ("-2", -2), ("- 2.25", -2.25),
        ("'a'", "a"), (#""b""#, "b"), ("''", ""), (#""""#, ""),
        (#"'it\'s'"#, "it's"), (#""say \"hi\"""#, #"say "hi""#), (#"'a\\b'"#, #"a\b"#),
        (#"'line\nbreak'"#, "line\nbreak"), (#"'tab\there'"#, "tab\there"),
        (#""it's""#, "it's"), (#"'say "hi"'"#, #"say "hi""#), ("'héllo 👋'", "héllo 👋"),
        ("'raw\nnewline'", "raw\nnewline"),
        ("true", true), ("false", false), ("null", nil),
        ("[]", []), ("[1, 'a']", [1, "a"]), ("[[1], [true, null]]", [[1], [true, nil]]),
        ("[1 + 1, context.age]", [2, 30]), ("  42  ", 42), ("\n\t1\n", 1),
    ]

    @Test(arguments: literals)
    func literal(source: String, expected: JSONValue) throws {
        #expect(try evaluate(source) == expected)
    }

    static let paths: [(String, JSONValue)] = [
        ("context.age", 30), ("context.nested.user.name", "Grace"), ("input.text", "Hello World"),
        ("profile.tier", "gold"), ("session.id", "s-1"), ("input.number", 42),
        ("context.nested", ["user": ["name": "Grace"]]),
        ("context.tags[0]", "a"), ("context.tags[2]", "c"), ("context.tags[3]", nil), ("context.tags[-1]", nil),
        ("context.tags[0.5]", nil), ("context.tags['0']", nil), ("context.tags[true]", nil), ("context.tags[null]", nil),
        ("context.tags[context.i]", "b"), ("context.tags[input.i]", "c"), ("context.tags[0 + 1]", "b"),
        ("context['name']", "Ada"), (#"context["name"]"#, "Ada"), ("context[context.key]", "Ada"),
        ("context['weird key']", 5), ("context[0]", nil), ("context.items[1].id", 2), ("context.items[0]['id']", 1),
        ("context.null", "keyword member"), ("context.nothing", nil),
        ("context.missing", nil), ("context.missing.deeper[3].x", nil), ("context.age.x", nil),
        ("context.name[0]", nil), ("context.tags.length", nil), ("'abc'.x", nil), ("null.x", nil),
        ("(context.nested).user.name", "Grace"), ("[1, 2, 3][1]", 2), ("split('a,b', ',')[1]", "b"),
        ("context.tags[context.tags[5]]", nil),
    ]

    @Test(arguments: paths)
    func path(source: String, expected: JSONValue) throws {
        #expect(try evaluate(source) == expected)
    }

    @Test(arguments: [JSONValue.null, 5, "text", [1, 2], [:]])
    func rootsOfANonObjectScopeAreNull(scope: JSONValue) throws {
        #expect(try evaluate("context.age", in: scope) == nil)
        #expect(try evaluate("input", in: scope) == nil)
    }

    @Test func rootsAreWholeValues() throws {
        #expect(try evaluate("session") == ["id": "s-1"])
        #expect(try evaluate("profile", in: ["profile": 7]) == 7)
    }

    // MARK: - Operators

    static let equality: [(String, JSONValue)] = [
        ("1 == 1", true), ("1 == 2", false), ("1 != 2", true), ("1 != 1", false),
        ("1 == '1'", false), ("1 != '1'", true), ("'a' == 'a'", true), ("'a' == 'A'", false),
        ("null == null", true), ("context.missing == null", true), ("context.nothing == null", true),
        ("[1, [2]] == [1, [2]]", true), ("[1, 2] == [2, 1]", false), ("context.nested == context.nested", true),
        ("context.items[0] == context.items[1]", false), ("true == 1", false), ("0 == false", false),
        ("'' == null", false), ("[] == null", false), ("1.0 == 1", true), ("-0 == 0", true),
    ]

    static let comparisons: [(String, JSONValue)] = [
        ("1 < 2", true), ("2 < 1", false), ("2 < 2", false), ("2 <= 2", true), ("3 <= 2", false),
        ("3 > 2", true), ("2 > 2", false), ("2 >= 2", true), ("1 >= 2", false), ("-1 < 0", true),
        ("1.5 > 1.25", true), ("context.age >= 18", true),
        ("'a' < 'b'", true), ("'b' < 'a'", false), ("'apple' < 'banana'", true), ("'Z' < 'a'", true),
        ("'abc' >= 'abc'", true), ("'ab' < 'abc'", true), ("'b' > 'abc'", true), ("'' <= ''", true),
    ]

    static let arithmetic: [(String, JSONValue)] = [
        ("1 + 2", 3), ("0.5 + 0.25", 0.75), ("'a' + 'b'", "ab"), ("'n=' + 1", "n=1"), ("1 + 'x'", "1x"),
        ("'v' + 2.5", "v2.5"), ("'' + null", ""), ("null + 'x'", "x"), ("'x' + true", "xtrue"),
        ("'a' + [1]", "a[1]"), ("context.name + ' ' + context.age", "Ada 30"),
        ("5 - 3", 2), ("3 - 5", -2), ("2 * 3", 6), ("2.5 * 4", 10), ("7 / 2", 3.5), ("-6 / 3", -2),
        ("7 % 3", 1), ("-7 % 3", -1), ("7 % -3", 1), ("7.5 % 2", 1.5), ("0 % 5", 0),
    ]

    static let unary: [(String, JSONValue)] = [
        ("!true", false), ("!false", true), ("!0", true), ("!1", false), ("!''", true), ("!'a'", false),
        ("![]", true), ("![0]", false), ("!null", true), ("!context.missing", true), ("!!1", true), ("!!''", false),
        ("-context.age", -30), ("--2", 2), ("-(1 + 2)", -3), ("- -1", 1), ("-0.5", -0.5),
    ]

    static let logical: [(String, JSONValue)] = [
        ("true && true", true), ("true && false", false), ("false && true", false), ("false && false", false),
        ("true || false", true), ("false || true", true), ("false || false", false), ("true || true", true),
        ("1 && 'a'", true), ("0 || ''", false), ("0 || 'x'", true), ("null || [1]", true),
        ("false || false || true", true), ("true && true && false", false), ("context.flag && context.age", true),
    ]

    static let conditionals: [(String, JSONValue)] = [
        ("true ? 1 : 2", 1), ("false ? 1 : 2", 2), ("null ? 1 : 2", 2), ("'x' ? 1 : 2", 1),
        ("context.age >= 18 ? 'adult' : 'minor'", "adult"), ("context.missing ? 'yes' : 'no'", "no"),
        // Right-associative: `a ? b : (c ? d : e)`.
        ("false ? 1 : true ? 2 : 3", 2), ("false ? 1 : false ? 2 : 3", 3), ("true ? 1 : false ? 2 : 3", 1),
        ("true ? false ? 1 : 2 : 3", 2), ("true ? [1] : null", [1]),
    ]

    static let operatorCases: [(String, JSONValue)] = [equality, comparisons, arithmetic, unary, logical, conditionals]
        .flatMap { $0 }

    @Test(arguments: operatorCases)
    func operators(source: String, expected: JSONValue) throws {
        #expect(try evaluate(source) == expected)
    }

    @Test func additionIsExactDoubleArithmetic() throws {
        #expect(try evaluate("0.1 + 0.2") == .number(0.1 + 0.2))
    }

    static let precedence: [(String, JSONValue)] = [
        ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("2 * 3 + 1", 7), ("1 + 6 / 3", 3), ("1 + 7 % 4", 4),
        ("10 - 4 - 3", 3), ("10 - (4 - 3)", 9), ("100 / 10 / 5", 2), ("2 * 3 % 4", 2), ("7 % 4 * 2", 6),
        ("1 - -1", 2), ("2 * -3", -6), ("-2 * 3", -6), ("-2 + 3", 1), ("-(2 + 3)", -5),
        ("'a' + 1 + 2", "a12"), ("1 + 2 + 'a'", "3a"), ("'a' + (1 + 2)", "a3"),
        ("!1 == 0", false), ("!(1 == 0)", true), ("-1 < 0", true),
        ("1 + 2 == 3", true), ("1 + 1 > 1", true), ("1 < 2 == true", true), ("2 > 1 != false", true),
        ("1 == 1 == true", true), ("1 == 1 && 2 == 2", true), ("1 < 2 && 2 < 3", true),
        ("true || false && false", true), ("false && true || true", true), ("(true || false) && false", false),
        ("false || true && false", false),
        ("true ? 1 : 0 + 5", 1), ("false ? 1 : 0 + 5", 5), ("1 + 1 > 1 ? 'y' : 'n'", "y"),
        ("false || true ? 'y' : 'n'", "y"), ("true ? 1 : 2 == 2", 1), ("(true ? 1 : 2) == 2", false),
        ("!context.flag || true", true), ("-context.age + 1", -29), ("context.tags[1 + 1]", "c"),
        ("-[1, 2][0]", -1), ("!context.tags[0]", false),
    ]

    @Test(arguments: precedence)
    func precedenceAndAssociativity(source: String, expected: JSONValue) throws {
        #expect(try evaluate(source) == expected)
    }

    /// Operands that would fail are never evaluated once the result is decided.
    static let shortCircuits: [(String, JSONValue)] = [
        ("false && (1 / 0)", false), ("true || (1 / 0)", true), ("false && 'a' < 1", false),
        ("context.flag || 'a' < 1", true), ("false && false && 1 % 0", false), ("true || 1 / 0 || 1 / 0", true),
        ("false ? 1 / 0 : 2", 2), ("true ? 2 : 1 / 0", 2), ("default('x', 1 / 0)", "x"),
        ("default(0, -'a')", 0), ("true || -null", true), ("null && null + 1", false),
    ]

    @Test(arguments: shortCircuits)
    func shortCircuit(source: String, expected: JSONValue) throws {
        #expect(try evaluate(source) == expected)
    }

    @Test(arguments: ["true && (1 / 0)", "false || (1 / 0)", "true ? 1 / 0 : 2", "default(null, 1 / 0)", "default('', 1 / 0)"])
    func decidingOperandsAreEvaluated(source: String) throws {
        let expression = try Expression(parsing: source)
        #expect(throws: ExpressionError.self) { try expression.evaluate(in: expressionScope) }
    }

    // MARK: - Functions

    static let functions: [(String, JSONValue)] = [
        // lower, upper, trim read the displayText of any value.
        ("lower('HeLLo')", "hello"), ("lower('ÄÖ')", "äö"), ("lower(12)", "12"), ("lower(null)", ""),
        ("lower(true)", "true"), ("lower(['A'])", #"["a"]"#),
        ("upper('abc')", "ABC"), ("upper('straße')", "STRASSE"), ("upper(null)", ""), ("upper(1.5)", "1.5"),
        ("trim('  a b  ')", "a b"), (#"trim('\n\tx\t\n')"#, "x"), ("trim('')", ""), ("trim('   ')", ""),
        ("trim(5)", "5"), ("trim(null)", ""),
        // length
        ("length('abc')", 3), ("length('👋🏽é')", 2), ("length('')", 0), ("length([1, 2, 3])", 3), ("length([])", 0),
        ("length(context.nested)", 1), ("length(context.tags)", 3), ("length(5)", 0), ("length(null)", 0),
        ("length(true)", 0), ("length(context.missing)", 0),
        // contains
        ("contains('hello', 'ell')", true), ("contains('hello', 'ELL')", false), ("contains('hello', '')", true),
        ("contains('', 'a')", false), ("contains('', '')", true), ("contains('a1', 1)", false),
        ("contains([1, 'a'], 'a')", true), ("contains([1, 'a'], 1)", true), ("contains([1], '1')", false),
        ("contains([[1]], [1])", true), ("contains([null], null)", true), ("contains([], null)", false),
        ("contains(context.tags, 'b')", true), ("contains(context.tags, 'z')", false),
        ("contains(null, 'a')", false), ("contains(context.nested, 'user')", false), ("contains(12, 1)", false),
        // startsWith, endsWith
        ("startsWith('hello', 'he')", true), ("startsWith('hello', 'lo')", false), ("startsWith('hello', '')", true),
        ("startsWith('Hello', 'he')", false), ("startsWith(123, 1)", true), ("startsWith(null, 'a')", false),
        ("startsWith('he', 'hello')", false),
        ("endsWith('hello', 'lo')", true), ("endsWith('hello', 'he')", false), ("endsWith('file.PDF', '.pdf')", false),
        ("endsWith(3.5, '.5')", true), ("endsWith('x', '')", true),
        // matches
        ("matches('abc123', '[0-9]+')", true), ("matches('abc', '^[0-9]+$')", false), ("matches('ABC', '(?i)abc')", true),
        (#"matches('order 42', '^order \\d+$')"#, true), ("matches(42, '^4')", true), ("matches(null, '^$')", true),
        ("matches('a.b', 'a\\\\.b')", true), ("matches('axb', 'a\\\\.b')", false),
        // number
        ("number('42')", 42), ("number(' 3.5 ')", 3.5), ("number('-2')", -2), ("number('+7')", 7),
        ("number('1e3')", 1000), ("number('2.5E-1')", 0.25), ("number('.5')", 0.5), ("number('5.')", 5),
        ("number('abc')", nil), ("number('')", nil), ("number(' ')", nil), ("number('.')", nil),
        ("number('1e')", nil), ("number('0x1F')", nil), ("number('nan')", nil), ("number('inf')", nil),
        ("number('1e999')", nil), ("number('1,5')", nil), ("number('12abc')", nil), ("number('--1')", nil),
        ("number(7)", 7), ("number(true)", nil), ("number(null)", nil), ("number([1])", nil),
        // string
        ("string(42)", "42"), ("string(3.5)", "3.5"), ("string(-0.25)", "-0.25"), ("string(true)", "true"),
        ("string(null)", ""), ("string('a')", "a"), ("string([1, 'a'])", #"[1,"a"]"#),
        ("string(context.nested)", #"{"user":{"name":"Grace"}}"#),
        // default
        ("default(null, 'x')", "x"), ("default('', 'x')", "x"), ("default(context.missing, 5)", 5),
        ("default('a', 'x')", "a"), ("default(0, 5)", 0), ("default(false, 5)", false), ("default([], 5)", []),
        ("default(null, null)", nil),
        // round, floor, ceil
        ("round(2.5)", 3), ("round(-2.5)", -3), ("round(2.4)", 2), ("round(7)", 7), ("round(-0.4)", -0.0),
        ("round('2.5')", nil), ("round(null)", nil),
        ("floor(2.7)", 2), ("floor(-2.1)", -3), ("floor(3)", 3), ("floor('x')", nil),
        ("ceil(2.1)", 3), ("ceil(-2.7)", -2), ("ceil(3)", 3), ("ceil(true)", nil),
        // join
        ("join(['a', 'b', 'c'], ', ')", "a, b, c"), ("join([1, true, null, 'x'], '-')", "1-true--x"),
        ("join([], ',')", ""), ("join(['a'], ',')", "a"), ("join(null, ',')", ""), ("join('abc', ',')", "abc"),
        ("join(context.tags, '')", "abc"), ("join(['a', 'b'], 1)", "a1b"), ("join([[1], null], ';')", "[1];"),
        // split
        ("split('a,b,c', ',')", ["a", "b", "c"]), ("split('a,,b', ',')", ["a", "", "b"]),
        ("split('a,b,', ',')", ["a", "b", ""]), ("split('abc', '')", ["a", "b", "c"]), ("split('', ',')", []),
        ("split(null, ',')", []), ("split('a--b--c', '--')", ["a", "b", "c"]), ("split('abc', 'x')", ["abc"]),
        ("split(12.5, '.')", ["12", "5"]), ("split('a1b', 1)", ["a", "b"]),
        // isEmpty
        ("isEmpty('')", true), ("isEmpty('a')", false), ("isEmpty(null)", true), ("isEmpty([])", true),
        ("isEmpty([0])", false), ("isEmpty(0)", true), ("isEmpty(false)", true), ("isEmpty(context.missing)", true),
        ("isEmpty(context.nested)", false), ("isEmpty(3)", false),
        // Composition
        ("upper(trim('  ok '))", "OK"), ("length(split('a b c', ' '))", 3), ("lower(default(context.missing, 'N/A'))", "n/a"),
        ("join(split('a-b', '-'), '+')", "a+b"), ("number(string(12)) + 1", 13),
    ]

    @Test(arguments: functions)
    func function(source: String, expected: JSONValue) throws {
        #expect(try evaluate(source) == expected)
    }

    @Test func functionNamesAreOnlySpecialBeforeParentheses() throws {
        // `context.lower` is a member named like a function, not a call.
        #expect(try evaluate("context.lower", in: ["context": ["lower": 1]]) == 1)
    }

    // MARK: - Parse errors

    static let knownFunctions =
        "ceil, contains, default, endsWith, floor, isEmpty, join, length, lower, matches, number, round, split, startsWith, string, trim, upper"

    static let parseErrors: [(String, Int, String)] = [
        ("", 0, "empty expression"),
        ("   ", 0, "empty expression"),
        ("foo", 0, "unknown name 'foo'; use input, context, profile or session"),
        ("context.age + user.age", 14, "unknown name 'user'; use input, context, profile or session"),
        ("Context.age", 0, "unknown name 'Context'; use input, context, profile or session"),
        ("'👋' + foo", 6, "unknown name 'foo'; use input, context, profile or session"),
        ("lower", 0, "'lower' is a function; call it as lower(…)"),
        ("foo(1)", 0, "unknown function 'foo'; known functions: \(knownFunctions)"),
        ("1 + context(1)", 4, "unknown function 'context'; known functions: \(knownFunctions)"),
        ("lower()", 0, "lower expects 1 argument, got 0"),
        ("lower('a', 'b')", 0, "lower expects 1 argument, got 2"),
        ("contains('a')", 0, "contains expects 2 arguments, got 1"),
        ("1 + default(1)", 4, "default expects 2 arguments, got 1"),
        ("(1 + 2", 6, "expected ')' to close '(' opened at column 1, found the end of the expression"),
        ("1 + (2 * 3", 10, "expected ')' to close '(' opened at column 5, found the end of the expression"),
        ("(1 2)", 3, "expected ')' to close '(' opened at column 1, found number 2"),
        ("[1, 2", 5, "expected ']' to close '[' opened at column 1, found the end of the expression"),
        ("[1 2]", 3, "expected ']' to close '[' opened at column 1, found number 2"),
        ("[1,]", 3, "expected an expression, found ']'"),
        ("[,1]", 1, "expected an expression, found ','"),
        ("lower('a'", 9, "expected ')' to close '(' opened at column 6, found the end of the expression"),
        ("lower('a' 'b')", 10, #"expected ')' to close '(' opened at column 6, found string "b""#),
        ("context.tags[0", 14, "expected ']' to close '[' opened at column 13, found the end of the expression"),
        ("context.tags[]", 13, "expected an expression, found ']'"),
        ("context.", 8, "expected a member name after '.', found the end of the expression"),
        ("context.1", 8, "expected a member name after '.', found number 1"),
        ("context..a", 8, "expected a member name after '.', found '.'"),
        ("context.'a'", 8, #"expected a member name after '.', found string "a""#),
        (".5", 0, "expected an expression, found '.'"),
        ("1 +", 3, "expected an expression, found the end of the expression"),
        ("* 2", 0, "expected an expression, found '*'"),
        ("1 * * 2", 4, "expected an expression, found '*'"),
        ("!", 1, "expected an expression, found the end of the expression"),
        (")", 0, "expected an expression, found ')'"),
        ("()", 1, "expected an expression, found ')'"),
        ("1 2", 2, "unexpected number 2; expected an operator or the end of the expression"),
        ("context.age context.name", 12, "unexpected 'context'; expected an operator or the end of the expression"),
        ("(1))", 3, "unexpected ')'; expected an operator or the end of the expression"),
        ("true()", 4, "unexpected '('; expected an operator or the end of the expression"),
        ("context.age(1)", 11, "unexpected '('; expected an operator or the end of the expression"),
        ("1 ]", 2, "unexpected ']'; expected an operator or the end of the expression"),
        ("1 : 2", 2, "unexpected ':'; expected an operator or the end of the expression"),
        ("true ? 1", 8, "expected ':' after the '?' at column 6, found the end of the expression"),
        ("true ? 1 , 2", 9, "expected ':' after the '?' at column 6, found ','"),
        ("true ? : 2", 7, "expected an expression, found ':'"),
        ("context.a = 1", 10, "unexpected '='; use '==' to compare"),
        ("1 === 1", 4, "unexpected '='; use '==' to compare"),
        ("true & false", 5, "unexpected '&'; use '&&' for logical and"),
        ("true | false", 5, "unexpected '|'; use '||' for logical or"),
        ("1 # 2", 2, "unexpected character '#'"),
        ("{{ 1 }}", 0, "unexpected character '{'"),
        ("1 + é", 4, "unexpected character 'é'"),
        ("'abc", 0, "unterminated string; add a closing '"),
        (#""abc"#, 0, #"unterminated string; add a closing ""#),
        ("'a' + 'b", 6, "unterminated string; add a closing '"),
        (#"'a\'"#, 0, "unterminated string; add a closing '"),
        (#"'a\"#, 0, "unterminated string; add a closing '"),
        (#"'bad \q'"#, 5, #"unknown escape '\q' in string; use \\, \', \", \n or \t"#),
        (#"1 + "\u0041""#, 5, #"unknown escape '\u' in string; use \\, \', \", \n or \t"#),
    ]

    @Test(arguments: parseErrors)
    func parseErrorIsLocated(source: String, offset: Int, message: String) {
        #expect(parseError(source) == ExpressionError(message: message, offset: offset))
    }

    static let arities: [(String, Int)] = [
        ("lower", 1), ("upper", 1), ("trim", 1), ("length", 1), ("contains", 2), ("startsWith", 2),
        ("endsWith", 2), ("matches", 2), ("number", 1), ("string", 1), ("default", 2), ("round", 1),
        ("floor", 1), ("ceil", 1), ("join", 2), ("split", 2), ("isEmpty", 1),
    ]

    @Test(arguments: arities)
    func arityIsCheckedWhenParsing(name: String, arity: Int) throws {
        let arguments = { (count: Int) in Array(repeating: "'1'", count: count).joined(separator: ", ") }
        #expect(throws: Never.self) { try Expression(parsing: "\(name)(\(arguments(arity)))") }
        for wrong in [arity - 1, arity + 1] {
            let expected = arity == 1 ? "1 argument" : "\(arity) arguments"
            #expect(
                parseError("1 + \(name)(\(arguments(wrong)))")
                    == ExpressionError(message: "\(name) expects \(expected), got \(wrong)", offset: 4)
            )
        }
    }

    @Test func tooLargeNumberLiteralIsAParseError() {
        let digits = string("9", 400)
        #expect(parseError("1 + \(digits)") == ExpressionError(message: "number \(digits) is too large", offset: 4))
    }

    @Test func unknownFunctionInsideAnArgumentIsFound() {
        #expect(parseError("lower(upper(frob(1)))")?.offset == 12)
    }

    // MARK: - Runtime errors

    static let runtimeErrors: [(String, Int, String)] = [
        ("'a' < 1", 4, "cannot compare a string with a number using '<'"),
        ("1 <= 'a'", 2, "cannot compare a number with a string using '<='"),
        ("null > 1", 5, "cannot compare null with a number using '>'"),
        ("true >= false", 5, "cannot compare a boolean with a boolean using '>='"),
        ("[1] < [2]", 4, "cannot compare an array with an array using '<'"),
        ("context.nested > context.nested", 15, "cannot compare an object with an object using '>'"),
        ("context.missing < 3", 16, "cannot compare null with a number using '<'"),
        ("1 < 2 < 3", 6, "cannot compare a boolean with a number using '<'"),
        ("1 + true", 2, "cannot add a number and a boolean"),
        ("null + 1", 5, "cannot add null and a number"),
        ("[1] + [2]", 4, "cannot add an array and an array"),
        ("context.nested + 1", 15, "cannot add an object and a number"),
        ("1 + 2 + true", 6, "cannot add a number and a boolean"),
        ("1 - 'a'", 2, "cannot apply '-' to a number and a string"),
        ("'a' * 2", 4, "cannot apply '*' to a string and a number"),
        ("'6' / 2", 4, "cannot apply '/' to a string and a number"),
        ("1 % null", 2, "cannot apply '%' to a number and null"),
        ("context.age * 'x'", 12, "cannot apply '*' to a number and a string"),
        ("1 / 0", 2, "division by zero"),
        ("5 % 0", 2, "modulo by zero"),
        ("1 / (2 - 2)", 2, "division by zero"),
        ("context.age / context.zero", 12, "division by zero"),
        ("-'a'", 0, "cannot negate a string"),
        ("1 + -context.missing", 4, "cannot negate null"),
        ("-true", 0, "cannot negate a boolean"),
        ("matches('a', '(')", 0, "invalid regular expression '('"),
        ("1 + matches('a', '[')", 4, "invalid regular expression '['"),
        ("lower(1 / 0)", 8, "division by zero"),
        ("[1, 2 * 'x']", 6, "cannot apply '*' to a number and a string"),
        ("context.tags[1 % 0]", 15, "modulo by zero"),
        ("false ? 1 : 'a' < 1", 16, "cannot compare a string with a number using '<'"),
        ("'👋' < 1", 4, "cannot compare a string with a number using '<'"),
        ("\(string("9", 200)) * \(string("9", 200))", 201, "result of '*' is too large"),
        ("\(string("9", 300)) + \(string("9", 300)) * \(string("9", 10))", 604, "result of '*' is too large"),
    ]

    @Test(arguments: runtimeErrors)
    func runtimeErrorIsLocated(source: String, offset: Int, message: String) throws {
        let expression = try Expression(parsing: source)
        #expect(throws: ExpressionError(message: message, offset: offset)) {
            try expression.evaluate(in: expressionScope)
        }
    }

    // MARK: - Limits

    @Test(arguments: [
        ("(", ")", 64), ("[", "]", 64), ("!", "", 64), ("-", "", 64), ("lower(", ")", 64 * 6 + 5),
        ("context.tags[", "]", 64 * 13 + 12), ("false ? 0 : ", "", 64 * 12 + 6),
    ])
    func nestingIsCappedAt64(opener: String, closer: String, failingOffset: Int) throws {
        let allowed = String(repeating: opener, count: 64) + "1" + String(repeating: closer, count: 64)
        #expect(throws: Never.self) { try Expression(parsing: allowed).evaluate(in: expressionScope) }
        let tooDeep = String(repeating: opener, count: 65) + "1" + String(repeating: closer, count: 65)
        #expect(
            parseError(tooDeep)
                == ExpressionError(message: "expression is nested more than 64 levels deep", offset: failingOffset)
        )
    }

    @Test func nestingOfMixedConstructsAddsUp() {
        // 16 × (paren, bracket, unary, call) = 64 levels; one more paren is too deep.
        let layer = ("([-lower(", ")])")
        let allowed = String(repeating: layer.0, count: 16) + "1" + String(repeating: layer.1, count: 16)
        #expect(parseError(allowed) == nil)
        let tooDeep = "(" + allowed + ")"
        #expect(parseError(tooDeep)?.message == "expression is nested more than 64 levels deep")
    }

    @Test(arguments: ["(", "[", "!", "-", "lower(", "true ? "])
    func pathologicalNestingFailsWithoutOverflow(opener: String) {
        let source = String(String(repeating: opener, count: 4096).prefix(4096))
        #expect(parseError(source)?.message == "expression is nested more than 64 levels deep")
    }

    @Test func deepestExpressionEvaluatesInATask() async throws {
        // 32 × (paren, call) = 64 levels, parsed and evaluated off the main thread.
        let source = String(repeating: "(upper(", count: 32) + "'x'" + String(repeating: "))", count: 32)
        let value = try await Task.detached { try Expression(parsing: source).evaluate(in: expressionScope) }.value
        #expect(value == "X")
    }

    @Test func longFlatChainsAreNotNesting() throws {
        let sum = Array(repeating: "1", count: 1000).joined(separator: "+")
        #expect(try evaluate(sum) == 1000)
        let conjunction = Array(repeating: "true", count: 600).joined(separator: "&&")
        #expect(try evaluate(conjunction) == true)
        let path = "context" + String(repeating: ".a", count: 2000)
        #expect(try evaluate(path) == nil)
        let indexes = "context.tags" + String(repeating: "[0]", count: 1000)
        #expect(try evaluate(indexes) == nil)
        let comparisons = Array(repeating: "1", count: 1000).joined(separator: "==")
        #expect(try evaluate(comparisons) == false)
    }

    @Test func sourceIsCappedAt4096Characters() throws {
        let longest = "'" + string("x", 4094) + "'"
        #expect(longest.count == 4096)
        #expect(try evaluate(longest) == .string(string("x", 4094)))
        #expect(
            parseError(longest + " ")
                == ExpressionError(message: "expression is longer than 4096 characters", offset: 4096)
        )
        #expect(parseError(string(" ", 100_000))?.offset == 4096)
        // Characters, not bytes: 4,096 emoji are within the limit.
        #expect(parseError("'" + string("👋", 4094) + "'") == nil)
    }

    static let bigScope: JSONValue = [
        "context": [
            "big": .string(string("x", 40_000)),
            "half": .string(string("y", 32_768)),
            "wide": .string(string("é", 20_000)),  // 2 bytes each in UTF-8
            "list": .array(Array(repeating: .string(string("z", 1_000)), count: 70)),
        ],
    ]

    static let stringLimitErrors: [(String, Int)] = [
        ("context.big + context.big", 12), ("'' + context.big + context.big", 17),
        ("join([context.big, context.big], '')", 0), ("join(context.list, '')", 0),
        ("string(context.list)", 0), ("upper(context.big + context.half)", 18),
        ("context.wide + context.wide", 13), ("lower(context.big + context.big)", 18),
    ]

    @Test(arguments: stringLimitErrors)
    func stringResultsAreCappedAt64KiB(source: String, offset: Int) throws {
        let expression = try Expression(parsing: source)
        #expect(throws: ExpressionError(message: "string result is longer than 64 KiB", offset: offset)) {
            try expression.evaluate(in: Self.bigScope)
        }
    }

    @Test func stringResultOfExactly64KiBIsAllowed() throws {
        let value = try evaluate("context.half + context.half", in: Self.bigScope)
        #expect(value == .string(string("y", 65_536)))
        #expect(try evaluate("length(context.big)", in: Self.bigScope) == 40_000)
        #expect(try evaluate("context.big", in: Self.bigScope) == .string(string("x", 40_000)))
    }

    // MARK: - API surface

    static let referencedRoots: [(String, Set<String>)] = [
        (#"context.age >= 18 && profile.tier == "gold""#, ["context", "profile"]),
        ("1 + 2", []),
        ("input.text", ["input"]),
        ("lower(session.id)", ["session"]),
        ("context.tags[input.i]", ["context", "input"]),
        ("[profile.a, true ? context.b : -session.c]", ["profile", "context", "session"]),
        ("default(input.x, context.y)", ["input", "context"]),
        ("!(context.a || context.b)", ["context"]),
        ("(session)['id']", ["session"]),
    ]

    @Test(arguments: referencedRoots)
    func referencedRootsListsFirstPathComponents(source: String, roots: Set<String>) throws {
        #expect(try Expression(parsing: source).referencedRoots == roots)
    }

    @Test func equalityAndHashingFollowTheSource() throws {
        let a = try Expression(parsing: "1 + 1")
        let b = try Expression(parsing: "1 + 1")
        let c = try Expression(parsing: "1+1")
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
        #expect(a.source == "1 + 1")
    }

    @Test func errorDescriptionShowsOneBasedColumn() {
        let error = parseError("1 + (2 * 3")
        #expect(error?.description == "column 11: expected ')' to close '(' opened at column 5, found the end of the expression")
        #expect(ExpressionError(message: "m", offset: 0).description == "column 1: m")
    }

    @Test func evaluationIsDeterministicAcrossConcurrentTasks() async throws {
        let expression = try Expression(parsing: "upper(profile.tier) + ':' + (context.age * 2) + ':' + join(context.tags, '')")
        let results = await withTaskGroup(of: JSONValue?.self) { group in
            for _ in 0..<32 {
                group.addTask { try? expression.evaluate(in: expressionScope) }
            }
            var collected: [JSONValue?] = []
            for await result in group { collected.append(result) }
            return collected
        }
        #expect(results.count == 32)
        #expect(results.allSatisfy { $0 == "GOLD:60:abc" })
    }
}
