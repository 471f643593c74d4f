// innspect-keras: what a Keras model file holds, and its C++ declaration.
//
//   innspect-keras summary FILE...
//   innspect-keras header FILE... [--name NAME] [--namespace NS] [--until LAYER] [-o OUT]
//
// Files: Keras 2 / Keras 3 legacy `.h5` written by model.save(), Keras 3 `.keras` archives (when
// built with innspect::keras3). Several files are one model, in model order (an encoder's file,
// then its decoder's). All the work is in innspect/io/keras_declaration.hpp and the layers' own
// printers; this file only reads the command line and the files.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <innspect/io/keras_declaration.hpp>
#include <innspect/io/keras_model.hpp>

namespace {

constexpr const char* usage =
    "usage: innspect-keras summary FILE...\n"
    "       innspect-keras header FILE... [--name NAME] [--namespace NS] [--until LAYER] [-o OUT]\n"
    "\n"
    "  summary  every layer: name, Keras class, output shape, parameters, supported or why not;\n"
    "           exits 1 if a layer is not supported\n"
    "  header   a C++ header declaring `template <class T> using NAME = innspect::Model<T, ...>;`\n"
    "           --name NAME       the alias (default: from the first file's name)\n"
    "           --namespace NS    put it in namespace NS\n"
    "           --until LAYER     only LAYER and what it needs (e.g. a VAE encoder's z_mean)\n"
    "           -o OUT            write to OUT (left untouched when unchanged) instead of stdout\n"
    "  Several FILEs are one model, in model order (encoder file, then decoder file).\n";

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

innspect::io::KerasConfigSource read_config(const std::string& path) {
    namespace io = innspect::io;
    auto src = io::detail::open_keras_source(path, io::ReadLimits{});
    const std::string shown = std::filesystem::path(path).filename().string();
    if (!src.config)
        throw innspect::error(path + ": " + src.no_config +
                              "; the generator needs the file model.save() writes");
    bool keras3 = src.weights->layout() == io::KerasLayout::keras3;
    if (!keras3 && src.weights->layout() != io::KerasLayout::keras2_13) {
        try {
            keras3 = src.weights->keras_version().rfind("3", 0) == 0;
        } catch (const innspect::error&) {
            // No readable keras_version: a Keras 2 file (it matters for hard_sigmoid only).
        }
    }
    return {std::move(*src.config), shown, keras3};
}

/// "(90, 90, 1)", "(64,)", "?" when unknown.
std::string shape_text(const innspect::KerasDeclaration& d) {
    if (!d.output_shape_known) return "?";
    std::string s = "(";
    for (std::size_t i = 0; i < d.output_shape.size(); ++i)
        s += (i ? ", " : "") +
             (d.output_shape[i] < 0 ? std::string("None") : std::to_string(d.output_shape[i]));
    return s + (d.output_shape.size() == 1 ? ",)" : ")");
}

int summary(const std::vector<std::string>& paths) {
    std::vector<innspect::io::KerasConfigSource> files;
    for (const auto& p : paths) files.push_back(read_config(p));
    const auto m = innspect::io::describe_keras_model(files);
    std::cout << "model: Keras " << m.class_name << " '" << m.model_name << "', input "
              << innspect::io::detail::shape_text(m.input_shape) << "\n";
    std::size_t wn = 4, wc = 5, ws = 12;
    for (const auto& l : m.layers) {
        wn = std::max(wn, l.decl.name.size());
        wc = std::max(wc, l.decl.keras_class.size());
        ws = std::max(ws, shape_text(l.decl).size());
    }
    const auto pad = [](std::string s, std::size_t w) { return s + std::string(w + 2 - s.size(), ' '); };
    std::cout << pad("name", wn) << pad("class", wc) << pad("output shape", ws) << pad("parameters", 10)
              << "supported\n";
    std::string file;
    std::int64_t total = 0;
    bool all_known = true;
    int unsupported = 0;
    for (const auto& l : m.layers) {
        if (m.files.size() > 1 && l.file != file) std::cout << "[" << (file = l.file) << "]\n";
        const auto& d = l.decl;
        const std::string params = d.parameters >= 0 ? std::to_string(d.parameters) : "?";
        if (d.parameters >= 0)
            total += d.parameters;
        else
            all_known = false;
        std::cout << pad(d.name, wn) << pad(d.keras_class, wc) << pad(shape_text(d), ws) << pad(params, 10)
                  << (l.problem.empty() ? "yes" : "no: " + l.problem) << "\n";
        unsupported += l.problem.empty() ? 0 : 1;
    }
    std::cout << m.layers.size() << " layers, " << (all_known ? "" : "at least ") << total << " parameters; ";
    if (unsupported == 0)
        std::cout << "every layer is supported\n";
    else
        std::cout << unsupported << (unsupported == 1 ? " layer is" : " layers are") << " not supported\n";
    return unsupported == 0 ? 0 : 1;
}

std::string default_name(const std::string& path) {
    // "seed90.h5" → "Seed90", "12-encoder.h5" → "Model12Encoder": a C++ identifier from the stem.
    std::string stem = std::filesystem::path(path).filename().string();
    stem = stem.substr(0, stem.find('.'));
    std::string name;
    bool upper = true;
    for (char c : stem) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
            upper = false;
        } else {
            upper = true;
        }
    }
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "Model" + name;
    return name;
}

int header(const std::vector<std::string>& paths, const std::string& name, const std::string& ns,
           const std::string& until, const std::string& out) {
    std::vector<innspect::io::KerasConfigSource> files;
    for (const auto& p : paths) files.push_back(read_config(p));
    innspect::io::HeaderOptions opt;
    opt.name = name.empty() ? default_name(paths.front()) : name;
    opt.ns = ns;
    opt.command = "innspect-keras header";
    for (const auto& f : files) opt.command += " " + f.file;
    opt.command += " --name " + opt.name;
    if (!ns.empty()) opt.command += " --namespace " + ns;
    if (!until.empty()) opt.command += " --until " + until;
    const std::string text =
        innspect::io::keras_model_header(innspect::io::describe_keras_model(files, until), opt);
    if (out.empty()) {
        std::cout << text;
        return 0;
    }
    {
        std::ifstream old(out, std::ios::binary);
        std::ostringstream s;
        s << old.rdbuf();
        if (old && s.str() == text) return 0;  // unchanged: no rebuild of what includes it
    }
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) throw innspect::error("cannot write " + out);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        if (args.empty() || args[0] == "-h" || args[0] == "--help") {
            std::cout << usage;
            return args.empty() ? 2 : 0;
        }
        const std::string cmd = args[0];
        std::vector<std::string> files;
        std::string name, ns, until, out;
        for (std::size_t i = 1; i < args.size(); ++i) {
            const std::string& a = args[i];
            const auto value = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw usage_error(a + " needs a value");
                return args[++i];
            };
            if (cmd == "header" && a == "--name")
                name = value();
            else if (cmd == "header" && a == "--namespace")
                ns = value();
            else if (cmd == "header" && a == "--until")
                until = value();
            else if (cmd == "header" && a == "-o")
                out = value();
            else if (!a.empty() && a[0] == '-')
                throw usage_error("unknown option " + a);
            else
                files.push_back(a);
        }
        if (files.empty()) throw usage_error("no FILE given");
        if (cmd == "summary") return summary(files);
        if (cmd == "header") return header(files, name, ns, until, out);
        throw usage_error("unknown command " + cmd);
    } catch (const usage_error& e) {
        std::cerr << "innspect-keras: " << e.what() << "\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "innspect-keras: " << e.what() << "\n";
        return 1;
    }
}
