// A real-estate registry's 查控 client, as the tests' stand-in for it: the calls are made exactly as
// yanFranklin/bdc20230104 makes them, in
// realestate/exchange/src/main/java/cn/gtmap/realestate/exchange/service/impl/inf/standard/court/
// BdcCourtKzJhSoapServiceImpl.java (sendWebServiceReq, lines 242-296 of commit 12919e1a, and the six
// operation methods above it, which only build the parameter map). Apache Axis 1.4, RPC/encoded.
//
// What the real client does before this point, and what the test therefore writes into each argument file:
// every argument is Base64 (commons-codec, one line, no line breaks) of the UTF-8 bytes of a JAXB document
// with its XML declaration, line breaks, tabs and 4-space indents removed (XmlEntityConvertUtil
// .convertObjectToXml): usermarker = <USERMARKER><CONDITION><USERNAME>..</USERNAME><PASSWORD>..
// </PASSWORD></CONDITION></USERMARKER> with plain values; feedbackinfo and wsbhinfo have each text value
// Base64-encoded first (convertAttrToBase64 "encode", on by default: CourtKz.attr.encode=true).
//
// Usage:
//   java RegistryClient <endpoint-url> <operation> <arg-file>...
//       one call; the returned string goes to stdout as Axis returned it (no newline added).
//   java RegistryClient --batch <batch-file>
//       several calls in one JVM; each line: <result-prefix> TAB <endpoint-url> TAB <operation> TAB
//       <arg-file>...; each call writes <result-prefix>.out (the string), .fault (as printed on exit 2)
//       or .error (any other failure); the batch itself exits 0.
// An argument file holds the exact string passed. Its parameter name is the real client's for that
// operation and position (usermarker first, then feedbackinfo or wsbhinfo); "name=path" names it
// explicitly (for operations the real client does not have). On the wire the parameters come in the
// order of the real client's HashMap, not of the command line.
// Exit status: 0 answered; 2 an Axis fault (a SOAP Fault, an HTTP error, a refused connection), printed to
// stderr; 3 any other failure (e.g. an answer that is not a string); 64 usage.
// REGISTRY_CLIENT_ECHO=1 prints the request envelope (and the answer's, on a fault) to stderr.

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.namespace.QName;
import javax.xml.rpc.ParameterMode;
import javax.xml.rpc.encoding.XMLType;
import org.apache.axis.AxisFault;
import org.apache.axis.Message;
import org.apache.axis.client.Call;

public class RegistryClient {
    static final String NAMESPACE = "http://ip.service.webService.ckw.tdh/";
    static final boolean ECHO = "1".equals(System.getenv("REGISTRY_CLIENT_ECHO"));
    /** Axis logs each fault through java.util.logging as well; the fault itself is printed below. */
    static final java.util.logging.Logger AXIS_LOG = java.util.logging.Logger.getLogger("org.apache.axis");

    /** The parameter names the real client puts in its map, per operation, in the order of its put calls. */
    static final Map<String, String[]> PARAMETERS = Map.of(
            "kzBdcQL", new String[] {"usermarker"},
            "cxBdcQL", new String[] {"usermarker"},
            "feedkzBdcQL", new String[] {"usermarker", "feedbackinfo"},
            "feedBdcQL", new String[] {"usermarker", "feedbackinfo"},
            "kzwsInfo", new String[] {"usermarker", "wsbhinfo"},
            "zjInfo", new String[] {"usermarker", "wsbhinfo"});

    /** Thrown for a call that never reached Axis (bad arguments). */
    static class Usage extends Exception {
        Usage(String message) {
            super(message);
        }
    }

    public static void main(String[] argv) throws Exception {
        if (!ECHO) {
            AXIS_LOG.setLevel(java.util.logging.Level.OFF);
        }
        try {
            if (argv.length == 2 && argv[0].equals("--batch")) {
                System.exit(batch(Path.of(argv[1])));
            }
            if (argv.length < 2) {
                throw new Usage("usage: RegistryClient <endpoint-url> <operation> <arg-file>... | --batch <file>");
            }
            Map<String, Object> params = parameters(argv[1], Arrays.copyOfRange(argv, 2, argv.length));
            String answer = sendWebServiceReq(argv[0], argv[1], params);
            if (answer == null) {
                System.err.println("RegistryClient: Axis returned null");
            } else {
                System.out.write(answer.getBytes(StandardCharsets.UTF_8));
                System.out.flush();
            }
            System.exit(0);
        } catch (Usage e) {
            System.err.println(e.getMessage());
            System.exit(64);
        } catch (AxisFault fault) {
            System.err.print(describe(fault));
            System.exit(2);
        } catch (Exception e) {
            System.err.println(e);
            System.exit(3);
        }
    }

    /** The calls of a batch file, each in its own Service and Call as the real client makes them. */
    static int batch(Path file) throws IOException {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\t");
            String prefix = fields[0];
            try {
                if (fields.length < 3) {
                    throw new Usage("batch line needs <prefix> TAB <endpoint> TAB <operation>: " + line);
                }
                Map<String, Object> params = parameters(fields[2], Arrays.copyOfRange(fields, 3, fields.length));
                String answer = sendWebServiceReq(fields[1], fields[2], params);
                Files.write(Path.of(prefix + ".out"), answer == null ? new byte[0]
                        : answer.getBytes(StandardCharsets.UTF_8));
            } catch (AxisFault fault) {
                Files.write(Path.of(prefix + ".fault"), describe(fault).getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                Files.write(Path.of(prefix + ".error"), e.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return 0;
    }

    /** The real client's requestParamMap: a HashMap, filled in the order of its put calls. */
    static Map<String, Object> parameters(String operation, String[] args) throws Usage, IOException {
        String[] names = PARAMETERS.getOrDefault(operation, new String[0]);
        Map<String, Object> requestParamMap = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name;
            String path = args[i];
            int equals = path.indexOf('=');
            if (equals > 0 && !Files.exists(Path.of(path))) {
                name = path.substring(0, equals);
                path = path.substring(equals + 1);
            } else if (i < names.length) {
                name = names[i];
            } else {
                throw new Usage(operation + " takes " + names.length + " argument(s); name the extra one name=path");
            }
            requestParamMap.put(name, Files.readString(Path.of(path), StandardCharsets.UTF_8));
        }
        return requestParamMap;
    }

    /**
     * BdcCourtKzJhSoapServiceImpl.sendWebServiceReq, line by line, with its logging and its
     * catch-everything left out: here a failure propagates (the test wants to see it) where the real client
     * logs it and returns null.
     */
    static String sendWebServiceReq(String url, String method, Map<String, Object> requestParamMap)
            throws Exception {
        List<String> paramNameList = new ArrayList<>();
        List<Object> paramValList = new ArrayList<>();
        if (requestParamMap != null && !requestParamMap.isEmpty()) { // MapUtils.isNotEmpty
            for (Map.Entry<String, Object> str : requestParamMap.entrySet()) {
                paramNameList.add(str.getKey());
                paramValList.add(str.getValue());
            }
        }
        String[] paramNameArray = paramNameList.toArray(new String[0]);
        Object[] paramValArray = paramValList.toArray();
        String invoke = "";
        org.apache.axis.client.Service service = new org.apache.axis.client.Service();
        Call call = null;
        try {
            call = (Call) service.createCall();
            call.setTargetEndpointAddress(url); // 设置请求wsdl
            call.setOperationName(new QName(NAMESPACE, method)); // 设置请求命名空间及具体方法
            for (int i = 0; i < paramNameArray.length; i++) {
                QName qName = XMLType.XSD_STRING;
                if (i < paramValArray.length) {
                    if (paramValArray[i] instanceof Integer) {
                        qName = XMLType.XSD_INTEGER;
                    }
                }
                call.addParameter(paramNameArray[i], qName, ParameterMode.IN);
            }
            call.setUseSOAPAction(true);
            // call.setTimeout(soTimeout);  -- commented out in the real client: Axis's default applies
            call.setReturnType(XMLType.XSD_STRING); // 设置返回类型
            invoke = (String) call.invoke(paramValArray);
            if (ECHO) {
                System.err.println("request: " + call.getMessageContext().getRequestMessage().getSOAPPartAsString());
            }
        } catch (Exception e) {
            if (ECHO && call != null) {
                Message response = call.getResponseMessage();
                System.err.println("response: " + (response == null ? null : response.getSOAPPartAsString()));
                Message request = call.getMessageContext().getRequestMessage();
                System.err.println("request: " + (request == null ? null : request.getSOAPPartAsString()));
            }
            throw e;
        }
        return invoke;
    }

    /**
     * A fault as the test reads it, one "name: value" line each: faultCode {ns}local, faultString, faultActor,
     * and each detail element as faultDetail: {ns}local: text (an HTTP error's status and body among them);
     * Axis's own stackTrace detail cut to its first line, its hostname detail left out.
     */
    static String describe(AxisFault fault) {
        StringBuilder out = new StringBuilder();
        out.append("faultCode: ").append(fault.getFaultCode()).append('\n');
        out.append("faultString: ").append(fault.getFaultString()).append('\n');
        if (fault.getFaultActor() != null) {
            out.append("faultActor: ").append(fault.getFaultActor()).append('\n');
        }
        if (fault.getFaultDetails() != null) {
            for (org.w3c.dom.Element detail : fault.getFaultDetails()) {
                String name = "{" + detail.getNamespaceURI() + "}" + detail.getLocalName();
                String text = detail.getTextContent();
                if (name.equals("{http://xml.apache.org/axis/}hostname")) {
                    continue;
                }
                if (name.equals("{http://xml.apache.org/axis/}stackTrace")) {
                    text = text.strip().split("\n", 2)[0];
                }
                out.append("faultDetail: ").append(name).append(": ").append(text.strip()).append('\n');
            }
        }
        return out.toString();
    }
}
