import Foundation

/// The built-in demo: a config file and flow shipped inside the package.
public enum DemoConfiguration {
    /// The path of the bundled demo config file.
    public static var configPath: String? {
        Bundle.module.url(forResource: "baton", withExtension: "yaml", subdirectory: "demo")?.path
    }
}
