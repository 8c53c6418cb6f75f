import BatonCore
import Testing

private let templateScope: JSONValue = [
    "context": [
        "age": 30, "name": "Ada", "flag": true, "tags": ["a", "b", "c"], "nested": ["user": "Grace"],
        "half": .string(String(repeating: "y", count: 32_768)),
    ],
    "profile": ["tier": "gold", "name": "Ada Lovelace"],
]

private func templateError(_ text: String) -> ExpressionError? {
    do {
        _ = try Template(parsing: text)
        return nil
    } catch {
        return error
    }
}

@Suite struct TemplateTests {
    static let renderings: [(String, String)] = [
        ("Hello {{ profile.name }}!", "Hello Ada Lovelace!"),
        ("", ""),
        ("plain text", "plain text"),
        ("{{context.age}}", "30"),
        ("{{ context.age }} years", "30 years"),
        ("{{ context.missing }}", ""),
        ("[{{ context.missing }}]", "[]"),
        ("a{{ 1 }}b{{ 2 }}c", "a1b2c"),
        ("{{ 'x' }}{{ 'y' }}", "xy"),
        ("{{ context.tags }}", #"["a","b","c"]"#),
        ("{{ context.nested }}", #"{"user":"Grace"}"#),
        ("{{ 3.5 }} / {{ true }} / {{ null }}", "3.5 / true / "),
        ("{{ upper(profile.tier) }} member", "GOLD member"),
        ("{{ context.age >= 18 ? 'adult' : 'minor' }}", "adult"),
        ("Line 1\n{{ context.name }}\nLine 3", "Line 1\nAda\nLine 3"),
        ("👋 {{ context.name }} 👋", "👋 Ada 👋"),
        ("{{\ncontext.name\n}}", "Ada"),
        // `}}` inside a string literal does not close the hole.
        ("{{ '}}' }}", "}}"),
        (#"{{ "}}" }}"#, "}}"),
        (#"{{ 'it\'s }}' }}"#, "it's }}"),
        (#"{{ "a \" }} b" }}"#, #"a " }} b"#),
        (#"{{ '\\' }}"#, #"\"#),
        ("{{ '{{' }}", "{{"),
        // Escapes and lone braces.
        (#"\{{ not a hole }}"#, "{{ not a hole }}"),
        (#"a \{{ b }} {{ 1 }}"#, "a {{ b }} 1"),
        (#"\{{{{ 1 }}"#, "{{1"),
        (#"C:\path\file"#, #"C:\path\file"#),
        (#"trailing \"#, #"trailing \"#),
        (#"\{ x"#, #"\{ x"#),
        ("}} alone", "}} alone"),
        ("{ single } {", "{ single } {"),
        ("{{ 1 }}}", "1}"),
    ]

    @Test(arguments: renderings)
    func render(text: String, expected: String) throws {
        #expect(try Template(parsing: text).render(in: templateScope) == expected)
    }

    static let literalness: [(String, Bool)] = [
        ("", true), ("plain", true), (#"\{{ x }}"#, true), ("{ {", true), ("}}", true),
        ("a {{ 1 }}", false), ("{{ context.age }}", false), (#"\{{ {{ 1 }}"#, false),
    ]

    @Test(arguments: literalness)
    func isLiteral(text: String, expected: Bool) throws {
        #expect(try Template(parsing: text).isLiteral == expected)
    }

    static let typedValues: [(String, JSONValue)] = [
        ("{{ context.age }}", 30),
        ("  {{ context.age }}\n", 30),
        ("\t{{context.age}}", 30),
        ("{{ context.flag }}", true),
        ("{{ context.tags }}", ["a", "b", "c"]),
        ("{{ context.nested }}", ["user": "Grace"]),
        ("{{ context.missing }}", nil),
        ("{{ 'text' }}", "text"),
        ("{{ context.age * 2 }}", 60),
        ("x{{ context.age }}", "x30"),
        ("{{ context.age }}.", "30."),
        ("{{ context.age }}{{ context.age }}", "3030"),
        ("{{ 1 }} {{ 2 }}", "1 2"),
        ("{{ context.missing }} {{ context.missing }}", " "),
        ("plain", "plain"),
        ("", ""),
        ("  ", "  "),
        (#"\{{ x }}"#, "{{ x }}"),
        (#" \{{ {{ 1 }}"#, " {{ 1"),
    ]

    @Test(arguments: typedValues)
    func evaluateKeepsTheTypeOfASingleHole(text: String, expected: JSONValue) throws {
        #expect(try Template(parsing: text).evaluate(in: templateScope) == expected)
    }

    static let parseErrors: [(String, Int, String)] = [
        ("Hello {{ profile.name", 6, "unclosed '{{'; add '}}' to end the expression"),
        ("{{", 0, "unclosed '{{'; add '}}' to end the expression"),
        ("{{ 1 }", 0, "unclosed '{{'; add '}}' to end the expression"),
        ("a {{ 'b }}", 2, "unclosed '{{'; add '}}' to end the expression"),
        ("{{ 1 }} {{ 2", 8, "unclosed '{{'; add '}}' to end the expression"),
        (#"\{{ {{ x"#, 4, "unclosed '{{'; add '}}' to end the expression"),
        ("{{ }}", 0, "empty '{{ }}' hole; put an expression inside"),
        ("x {{}}", 2, "empty '{{ }}' hole; put an expression inside"),
        ("{{ 1 }}{{   \n }}", 7, "empty '{{ }}' hole; put an expression inside"),
        ("Hi {{ foo }}", 6, "unknown name 'foo'; use input, context, profile or session"),
        ("👋 {{ foo }}", 5, "unknown name 'foo'; use input, context, profile or session"),
        (#"\{{ {{ foo }}"#, 7, "unknown name 'foo'; use input, context, profile or session"),
        ("Hi {{ 1 + }}", 10, "expected an expression, found the end of the expression"),
        ("ab {{ (1 }}", 9, "expected ')' to close '(' opened at column 7, found the end of the expression"),
        ("{{ 1 }} {{ lower() }}", 11, "lower expects 1 argument, got 0"),
        ("{{ 1 2 }}", 5, "unexpected number 2; expected an operator or the end of the expression"),
        ("{{ {1} }}", 3, "unexpected character '{'"),
        ("{{{ 1 }}", 2, "unexpected character '{'"),
        (#"{{ 'a\q' }}"#, 5, #"unknown escape '\q' in string; use \\, \', \", \n or \t"#),
        ("{{ context.a = 1 }}", 13, "unexpected '='; use '==' to compare"),
    ]

    @Test(arguments: parseErrors)
    func parseErrorIsLocatedInTheWholeText(text: String, offset: Int, message: String) {
        #expect(templateError(text) == ExpressionError(message: message, offset: offset))
    }

    static let runtimeErrors: [(String, Int, String)] = [
        ("Total: {{ 1 / 0 }}", 12, "division by zero"),
        ("{{ 'a' < 1 }}", 7, "cannot compare a string with a number using '<'"),
        ("{{ 1 }} and {{ context.name - 1 }}", 28, "cannot apply '-' to a string and a number"),
        ("👋 {{ -context.name }}", 5, "cannot negate a string"),
        ("{{ matches('x', '(') }}", 3, "invalid regular expression '('"),
    ]

    @Test(arguments: runtimeErrors)
    func runtimeErrorIsLocatedInTheWholeText(text: String, offset: Int, message: String) throws {
        let template = try Template(parsing: text)
        let expected = ExpressionError(message: message, offset: offset)
        #expect(throws: expected) { try template.render(in: templateScope) }
        #expect(throws: expected) { try template.evaluate(in: templateScope) }
    }

    @Test func holeExpressionsAreCappedAt4096Characters() throws {
        let longest = "'" + String(repeating: "x", count: 4094) + "'"
        #expect(try Template(parsing: "ab{{\(longest)}}").render(in: templateScope).count == 4096)
        #expect(
            templateError("ab{{\(longest) }}")
                == ExpressionError(message: "expression is longer than 4096 characters", offset: 4 + 4096)
        )
    }

    @Test func holeNestingIsCappedAt64() {
        let allowed = String(repeating: "(", count: 64) + "1" + String(repeating: ")", count: 64)
        #expect(templateError("x {{ \(allowed) }}") == nil)
        #expect(
            templateError("x {{ (\(allowed)) }}")
                == ExpressionError(message: "expression is nested more than 64 levels deep", offset: 5 + 64)
        )
    }

    @Test func renderedTextIsCappedAt64KiB() throws {
        let exact = try Template(parsing: "{{ context.half }}{{ context.half }}").render(in: templateScope)
        #expect(exact.utf8.count == 65_536)
        let tooLong = try Template(parsing: "x{{ context.half }}{{ context.half }}")
        #expect(throws: ExpressionError(message: "rendered text is longer than 64 KiB", offset: 19)) {
            try tooLong.render(in: templateScope)
        }
        #expect(throws: ExpressionError(message: "rendered text is longer than 64 KiB", offset: 19)) {
            try tooLong.evaluate(in: templateScope)
        }
    }

    @Test func equalityAndHashingFollowTheSource() throws {
        let a = try Template(parsing: "Hi {{ context.name }}")
        let b = try Template(parsing: "Hi {{ context.name }}")
        let c = try Template(parsing: "Hi {{context.name}}")
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
        #expect(c.source == "Hi {{context.name}}")
    }

    @Test func errorDescriptionUsesColumnsOfTheWholeText() {
        #expect(templateError("Hello {{ profile.name")?.description == "column 7: unclosed '{{'; add '}}' to end the expression")
    }
}
