import RhizomeAgent

@main
enum Entrypoint {
    static func main() {
        AgentMain.run(arguments: CommandLine.arguments)
    }
}
