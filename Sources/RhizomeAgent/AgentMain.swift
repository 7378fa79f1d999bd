public enum AgentMain { public static func run(arguments: [String]) -> Never { fatalError() } }
