// The stand-in's payloads are `JSONValue`s; its users get the type with the stand-in.
@_exported public import StandInJSON
