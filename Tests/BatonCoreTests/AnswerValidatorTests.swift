import BatonCore
import Testing

@Suite struct AnswerValidatorTests {
    // MARK: - text

    static let texts: [(String, JSONValue?)] = [
        ("hello", "hello"),
        ("  padded answer \n", "padded answer"),
        ("multi word answer", "multi word answer"),
        ("Ada 🎉", "Ada 🎉"),
        ("42", "42"),
        ("", nil),
        ("   ", nil),
        ("\n\t ", nil),
    ]

    @Test(arguments: texts)
    func text(answer: String, expected: JSONValue?) {
        #expect(AnswerValidator.validate(answer, as: .text) == expected)
    }

    // MARK: - number

    static let numbers: [(String, JSONValue?)] = [
        ("42", 42),
        ("0", 0),
        ("-7", -7),
        ("+5", 5),
        ("3.5", 3.5),
        ("3,5", 3.5),
        ("-0,25", -0.25),
        ("  12  ", 12),
        ("1e3", nil),
        ("0x1A", nil),
        ("007", 7),
        ("", nil),
        ("   ", nil),
        ("abc", nil),
        ("twelve", nil),
        ("12abc", nil),
        ("12 apples", nil),
        ("1.2.3", nil),
        ("3,5,1", nil),
        ("1.000,5", nil),
        ("nan", nil),
        ("NaN", nil),
        ("inf", nil),
        ("-infinity", nil),
        ("1e999", nil),
    ]

    @Test(arguments: numbers)
    func number(answer: String, expected: JSONValue?) {
        #expect(AnswerValidator.validate(answer, as: .number) == expected)
    }

    // MARK: - email

    static let emails: [(String, JSONValue?)] = [
        ("ada@example.com", "ada@example.com"),
        ("Ada.Lovelace@Example.COM", "ada.lovelace@example.com"),
        ("  bob@example.io \n", "bob@example.io"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("a@b.c", "a@b.c"),
        ("ada@example", nil),
        ("ada.example.com", nil),
        ("@example.com", nil),
        ("ada@", nil),
        ("ada@.com", nil),
        ("ada@@example.com", nil),
        ("ada@exa@mple.com", nil),
        ("ada @example.com", nil),
        ("ada@example.com please", nil),
        ("mail me: ada@example.com", nil),
        ("", nil),
    ]

    @Test(arguments: emails)
    func email(answer: String, expected: JSONValue?) {
        #expect(AnswerValidator.validate(answer, as: .email) == expected)
    }

    // MARK: - yes/no

    static let yesNoAnswers: [(String, JSONValue?)] = [
        ("yes", true),
        ("Yes", true),
        ("YES!", true),
        ("y", true),
        ("Y", true),
        ("yeah", true),
        ("yep", true),
        ("sure thing", true),
        ("ok", true),
        ("OK.", true),
        ("okay", true),
        ("true", true),
        ("correct", true),
        ("Yes please", true),
        ("  yes, of course  ", true),
        ("ja", true),
        ("oui", true),
        ("si", true),
        ("Sí", true),
        ("no", false),
        ("No", false),
        ("NO!!", false),
        ("n", false),
        ("nope", false),
        ("nah", false),
        ("false", false),
        ("wrong", false),
        ("no thanks", false),
        ("No, yes", false),
        ("nein", false),
        ("non", false),
        ("maybe", nil),
        ("not sure", nil),
        ("I said yes", nil),
        ("yesterday", nil),
        ("nobody", nil),
        ("!!!", nil),
        ("", nil),
        ("   ", nil),
    ]

    @Test(arguments: yesNoAnswers)
    func yesNo(answer: String, expected: JSONValue?) {
        #expect(AnswerValidator.validate(answer, as: .yesNo) == expected)
    }

    // MARK: - pattern

    static let patterns: [(pattern: String, answer: String, expected: JSONValue?)] = [
        ("[0-9]{5}", "12345", "12345"),
        ("[0-9]{5}", "  12345 ", "12345"),
        ("[0-9]{5}", "123456", nil),
        ("[0-9]{5}", "1234", nil),
        ("[0-9]{5}", "a12345", nil),
        ("[0-9]{5}", "12345b", nil),
        ("[0-9]{5}", "zip 12345", nil),
        (#"[A-Z]{2}-\d+"#, "AB-12", "AB-12"),
        (#"[A-Z]{2}-\d+"#, "ab-12", nil),
        ("(?i)yes|no", "YES", "YES"),
        ("(?i)yes|no", "No", "No"),
        ("(?i)yes|no", "yes no", nil),
        ("cat|category", "category", "category"),
        ("cat|category", "cat", "cat"),
        ("(?i)media|quiz|pictures|a quiz", "A Quiz", "A Quiz"),
        (".*", "anything at all", "anything at all"),
        (".*", "   ", nil),
        ("(", "(", nil),
        ("[a-", "a", nil),
    ]

    @Test(arguments: patterns)
    func pattern(pattern: String, answer: String, expected: JSONValue?) {
        #expect(AnswerValidator.validate(answer, as: .pattern(pattern)) == expected)
    }

    // MARK: - Types of the stored values

    @Test func storedValuesHaveTheAnswerTypesJSONType() {
        #expect(AnswerValidator.validate("42", as: .text) == .string("42"))
        #expect(AnswerValidator.validate("42", as: .number) == .number(42))
        #expect(AnswerValidator.validate("yes", as: .text) == .string("yes"))
        #expect(AnswerValidator.validate("yes", as: .yesNo) == .bool(true))
        #expect(AnswerValidator.validate("42", as: .pattern("[0-9]+")) == .string("42"))
    }
}
