// KeyCat: list every ConfigOption that a Flink distribution declares.
//
// Usage: java KeyCat.java JAR_OR_DIR...   (directories: every *.jar below them)
//
// Output (stdout), one line per (option, key):
//   key \t role \t currentKey \t declaringClass#field \t visibility \t defaultType
// role is key | deprecated | fallback; currentKey is the option's main key.
// Progress and counts go to stderr.
//
// How: each .class entry of each jar is first checked, byte-wise, for the field
// descriptor "Lorg/apache/flink/configuration/ConfigOption;" (a class with a
// field of that type must carry it in its constant pool). Only those classes are
// loaded, first without initialization (Class.forName(name, false, loader)) to
// find static fields of type ConfigOption; a class that has one is then
// initialized (reading a static field needs that) and the option objects are
// read by reflection. Flink is never on the compile-time class path: every call
// to ConfigOption/FallbackKey goes through reflection, so one binary serves
// Flink 1.9 ... 2.x. Classes that fail to load or initialize are counted and
// skipped.
import java.io.*;
import java.lang.reflect.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

public class KeyCat {
    static final byte[] NEEDLE =
            "Lorg/apache/flink/configuration/ConfigOption;".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        List<Path> jars = new ArrayList<>();
        for (String a : args) {
            Path p = Paths.get(a);
            if (Files.isDirectory(p)) {
                try (var s = Files.walk(p)) {
                    s.filter(f -> f.toString().endsWith(".jar")).sorted().forEach(jars::add);
                }
            } else {
                jars.add(p);
            }
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) urls[i] = jars.get(i).toUri().toURL();
        URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        Class<?> configOption;
        try {
            configOption = Class.forName("org.apache.flink.configuration.ConfigOption", false, loader);
        } catch (ClassNotFoundException e) {
            System.err.println("no org.apache.flink.configuration.ConfigOption in the given jars");
            System.exit(2);
            return;
        }
        Method mKey = configOption.getMethod("key");
        Method mFallbacks = find(configOption, "fallbackKeys");
        Method mDeprecated = find(configOption, "deprecatedKeys");
        Method mDefault = find(configOption, "defaultValue");
        Method mClazz = find(configOption, "getClazz");
        Method mIsList = find(configOption, "isList");

        // candidate class names, in jar order, first jar wins on duplicates
        LinkedHashSet<String> candidates = new LinkedHashSet<>();
        long scanned = 0;
        for (Path jar : jars) {
            int before = candidates.size();
            try (ZipFile zf = new ZipFile(jar.toFile())) {
                Enumeration<? extends ZipEntry> en = zf.entries();
                while (en.hasMoreElements()) {
                    ZipEntry ze = en.nextElement();
                    String n = ze.getName();
                    if (!n.endsWith(".class") || n.startsWith("META-INF/") || n.endsWith("module-info.class")) continue;
                    scanned++;
                    byte[] b;
                    try (InputStream in = zf.getInputStream(ze)) { b = in.readAllBytes(); }
                    if (indexOf(b, NEEDLE) >= 0) {
                        candidates.add(n.substring(0, n.length() - 6).replace('/', '.'));
                    }
                }
            }
            System.err.printf("jar %s: %d candidate classes%n", jar.getFileName(), candidates.size() - before);
        }

        TreeSet<String> out = new TreeSet<>();
        int loadFail = 0, initFail = 0, withOptions = 0, options = 0;
        List<String> failed = new ArrayList<>();
        for (String cn : candidates) {
            Class<?> c;
            Field[] fields;
            try {
                c = Class.forName(cn, false, loader);
                fields = c.getDeclaredFields();
            } catch (Throwable t) {
                loadFail++;
                failed.add("load " + cn + ": " + t);
                continue;
            }
            List<Field> opts = new ArrayList<>();
            for (Field f : fields) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == configOption) opts.add(f);
            }
            if (opts.isEmpty()) continue;
            withOptions++;
            for (Field f : opts) {
                Object o;
                try {
                    f.setAccessible(true);
                    o = f.get(null); // initializes the class on first access
                } catch (Throwable t) {
                    initFail++;
                    failed.add("init " + cn + "#" + f.getName() + ": " + t);
                    break; // the class is unusable from here on
                }
                if (o == null) continue;
                options++;
                String vis = Modifier.isPublic(f.getModifiers()) && Modifier.isPublic(c.getModifiers())
                        ? "public" : (Modifier.isPublic(f.getModifiers()) ? "public-field" : "nonpublic");
                String where = cn + "#" + f.getName();
                String key = (String) mKey.invoke(o);
                String type = typeOf(o, mDefault, mClazz, mIsList);
                out.add(String.join("\t", key, "key", key, where, vis, type));
                Set<String> deprecated = new LinkedHashSet<>();
                Set<String> fallback = new LinkedHashSet<>();
                if (mFallbacks != null) {
                    for (Object fk : (Iterable<?>) mFallbacks.invoke(o)) {
                        String k = (String) fk.getClass().getMethod("getKey").invoke(fk);
                        boolean dep = (Boolean) fk.getClass().getMethod("isDeprecated").invoke(fk);
                        (dep ? deprecated : fallback).add(k);
                    }
                } else if (mDeprecated != null) {
                    for (Object k : (Iterable<?>) mDeprecated.invoke(o)) deprecated.add((String) k);
                }
                for (String k : deprecated) out.add(String.join("\t", k, "deprecated", key, where, vis, type));
                for (String k : fallback) out.add(String.join("\t", k, "fallback", key, where, vis, type));
            }
        }
        PrintStream ps = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)), false, "UTF-8");
        for (String l : out) ps.println(l);
        ps.flush();
        System.err.printf("scanned %d classes, %d candidates, %d classes with static ConfigOption fields, "
                        + "%d options, %d load failures, %d init failures%n",
                scanned, candidates.size(), withOptions, options, loadFail, initFail);
        for (String f : failed) System.err.println("  skipped " + f);
        System.exit(0); // some static initializers may start non-daemon threads
    }

    static String typeOf(Object o, Method mDefault, Method mClazz, Method mIsList) {
        try {
            String t = null;
            if (mClazz != null) {
                Object cl = mClazz.invoke(o);
                if (cl instanceof Class) t = ((Class<?>) cl).getName();
            }
            if (t == null && mDefault != null) {
                Object d = mDefault.invoke(o);
                t = d == null ? "null" : d.getClass().getName();
            }
            if (t != null && mIsList != null && Boolean.TRUE.equals(mIsList.invoke(o))) t = "List<" + t + ">";
            return t == null ? "?" : t;
        } catch (Throwable e) {
            return "?";
        }
    }

    static Method find(Class<?> c, String name) {
        try {
            Method m = c.getDeclaredMethod(name);
            m.setAccessible(true);
            return m;
        } catch (Throwable e) {
            return null;
        }
    }

    static int indexOf(byte[] h, byte[] n) {
        outer:
        for (int i = 0, last = h.length - n.length; i <= last; i++) {
            if (h[i] != n[0]) continue;
            for (int j = 1; j < n.length; j++) if (h[i + j] != n[j]) continue outer;
            return i;
        }
        return -1;
    }
}
